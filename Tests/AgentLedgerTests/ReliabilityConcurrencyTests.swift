import AgentLedger
import AgentLedgerTestSupport
import Foundation
import Testing

/// The session semantics under many concurrent tasks, checked against a linearizable order:
/// the log's order is a serial order of the acknowledged calls that explains every answer
/// (each add's sequence number, each pop's item, each read's items) and respects real time (a
/// call that ended before another started comes first).
@Suite("Reliability: concurrent calls are linearizable", .timeLimit(.minutes(3)))
struct ReliabilityConcurrencyTests {
    /// One call and what it answered, with when it started and ended.
    private struct Call: Sendable {
        enum Kind: Sendable {
            case add([SessionItem], sequence: UInt64)
            case pop(SessionItem?)
            case read(limit: Int?, [SessionItem])
        }

        let task: Int
        let session: String
        let kind: Kind
        let start: ContinuousClock.Instant
        let end: ContinuousClock.Instant
    }

    /// Runs `tasks` tasks of `calls` calls each over `sessions` sessions: adds of one or two
    /// items whose content names the task and its counter, pops, and reads (all or the last 5).
    private func run(_ ledger: Ledger, tasks: Int, calls: Int, sessions: Int, seed: UInt64) async throws -> [Call] {
        try await withThrowingTaskGroup(of: [Call].self) { group in
            for task in 0..<tasks {
                group.addTask {
                    var random = SeededRandom(seed: seed &+ UInt64(task))
                    var made: [Call] = []
                    for counter in 0..<calls {
                        let session = "c\(Int.random(in: 0..<sessions, using: &random))"
                        let handle = ledger.session(session)
                        let choice = Int.random(in: 0..<100, using: &random)
                        let start = ContinuousClock.now
                        let kind: Call.Kind
                        if choice < 55 {
                            let items = (0..<Int.random(in: 1...2, using: &random)).map {
                                ItemFactory.user("t=\(task) c=\(counter) i=\($0)")
                            }
                            let sequence = try #require(try await handle.append(items))
                            kind = .add(items, sequence: sequence)
                        } else if choice < 75 {
                            kind = .pop(try await handle.popItem())
                        } else {
                            let limit: Int? = choice < 88 ? nil : 5
                            kind = .read(limit: limit, try await handle.items(limit: limit))
                        }
                        made.append(Call(task: task, session: session, kind: kind, start: start, end: .now))
                    }
                    return made
                }
            }
            var all: [Call] = []
            for try await calls in group {
                all += calls
            }
            return all
        }
    }

    @Test(
        "24 tasks adding, popping and reading three sessions: the log's order explains every answer and respects real time",
        arguments: [Durability.none, .fsync]
    )
    func linearizable(durability: Durability) async throws {
        let store = try TemporaryStore(prefix: "reliability-linear")
        defer { store.remove() }
        // With fsync, batches of adds are acknowledged before their SQLite COMMIT.
        let ledger = try await store.open(durability: durability)
        let calls = try await run(ledger, tasks: 24, calls: 40, sessions: 3, seed: 0x11AE)
        let events = try await ReliabilityHelpers.events(ledger)
        let head = try await ledger.headSequence()
        #expect(
            events.map(\.sequence) == Array(1...max(head, 1)).prefix(events.count).map { $0 }
                && UInt64(events.count) == head
        )

        // Each write call is one event: an add at its sequence, a pop at the event that removed its item.
        var sequenceOf: [Int: UInt64] = [:]  // index in `calls` -> sequence
        var popEvent: [SessionItem: UInt64] = [:]
        for event in events {
            if case .itemPopped(let item, _, _) = event.payload {
                #expect(popEvent[item] == nil, "item \(item.json) popped twice")
                popEvent[item] = event.sequence
            }
        }
        var popsReturned = Set<SessionItem>()
        for (index, call) in calls.enumerated() {
            switch call.kind {
            case .add(let items, let sequence):
                let event = events[Int(sequence) - 1]
                #expect(event.sessionID == call.session && event.payload == .itemsAdded(items), "add \(sequence)")
                sequenceOf[index] = sequence
            case .pop(let item?):
                #expect(popsReturned.insert(item).inserted, "two pops returned \(item.json)")
                let sequence = try #require(popEvent[item], "popped \(item.json) but no event records it")
                #expect(events[Int(sequence) - 1].sessionID == call.session)
                sequenceOf[index] = sequence
            default:
                break
            }
        }
        #expect(sequenceOf.count == events.count, "every event is one acknowledged call")
        // Real time: a call that ended before another started has the smaller sequence number.
        let ordered = sequenceOf.sorted { $0.value > $1.value }
        var earliestEndAfter: ContinuousClock.Instant?
        var violations = 0
        for (index, _) in ordered {
            if let earliest = earliestEndAfter, earliest < calls[index].start {
                violations += 1
            }
            earliestEndAfter = min(earliestEndAfter ?? calls[index].end, calls[index].end)
        }
        #expect(violations == 0, "\(violations) calls come before a call that ended before they started")
        // Each task's adds are in its own order in the log.
        for task in 0..<24 {
            let mine = calls.indices.filter { calls[$0].task == task }.compactMap { sequenceOf[$0] }
            #expect(mine == mine.sorted(), "task \(task)'s calls are out of order in the log")
        }
        // Replaying the log gives every session's items; reads and empty pops saw some state
        // between what had finished before they started and what had started before they ended.
        let replay = ReliabilityHelpers.replay(events)
        #expect(replay.problems.isEmpty, "\(replay.problems.prefix(3))")
        var states: [String: [(sequence: UInt64, items: [SessionItem])]] = [:]
        var current: [String: [SessionItem]] = [:]
        for event in events {
            switch event.payload {
            case .itemsAdded(let items):
                current[event.sessionID, default: []] += items
            case .itemPopped:
                current[event.sessionID]?.removeLast()
            default:
                break
            }
            states[event.sessionID, default: []].append((event.sequence, current[event.sessionID] ?? []))
        }
        var readsChecked = 0
        for call in calls {
            let expected: (([SessionItem]) -> Bool)
            switch call.kind {
            case .read(let limit, let items):
                expected = { state in Array(state.suffix(limit ?? state.count)) == items }
            case .pop(nil):
                expected = { $0.isEmpty }
            default:
                continue
            }
            let lower = sequenceOf.filter { calls[$0.key].end < call.start }.map(\.value).max() ?? 0
            let upper = sequenceOf.filter { calls[$0.key].start < call.end }.map(\.value).max() ?? 0
            let history = states[call.session] ?? []
            let before = history.last { $0.sequence <= lower }?.items ?? []
            let candidates = [before] + history.filter { $0.sequence > lower && $0.sequence <= upper }.map(\.items)
            #expect(
                candidates.contains(where: expected),
                "a \(call.kind) of \(call.session) matches no state between \(lower) and \(upper)"
            )
            readsChecked += 1
        }
        for session in ["c0", "c1", "c2"] {
            #expect(try await ledger.session(session).items() == replay.items[session, default: []], "\(session)")
        }
        #expect(try await ledger.verifyReadModel() == [])
        try await ledger.close()
        print(
            "RELIABILITY linearizability (\(durability)): \(calls.count) calls from 24 tasks, \(events.count) events, "
                + "\(popsReturned.count) pops, \(readsChecked) reads and empty pops checked, real-time violations \(violations)"
        )
    }
}
