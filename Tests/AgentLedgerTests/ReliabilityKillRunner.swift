import AgentLedger
import AgentLedgerTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The kill -9 test: `ledger-torture append` children append durably (fsync per group commit)
/// to one store and are killed with SIGKILL at seeded random moments; after each kill the store
/// is reopened and checked against everything the children printed as acknowledged.
///
/// Most kills land 30–150 ms after the child has opened the store (mid-append: between a write
/// and its fsync, between the fsync and the read model's commit, during a segment roll-over:
/// segments are 64 KiB). Every fifth kill lands 0–40 ms after the start (during startup, lock,
/// recovery or the read model's catch-up), and every seventh run starts without a read model,
/// so that the child is killed while it rebuilds it.
///
/// After every kill: the log verifies (checksums, sequences, hash chain), every acknowledged
/// call is in it exactly once at its acknowledged sequence number, each task's calls form a
/// contiguous prefix holding every acknowledged one and at most one more (the call in flight),
/// and every session's items in the read model equal a replay of the log; after every fifth
/// kill and the last, the read model also equals a fresh rebuild (`verifyReadModel`).
struct ReliabilityKillRunner {
    /// What the runs showed.
    struct Figures: CustomStringConvertible {
        var kills = 0
        var killsDuringOpen = 0
        var childrenOpened = 0
        var acknowledgedCalls = 0
        var acknowledgedPops = 0
        var eventsInLog: UInt64 = 0
        var segments = 0
        var tornTailsRepaired = 0
        var readModelRepairs = 0
        var unacknowledgedButDurable = 0
        var seconds = 0.0
        var checkSeconds = 0.0

        var description: String {
            "kills=\(kills) (during open: \(killsDuringOpen), children that had opened: \(childrenOpened)) "
                + "acknowledged adds=\(acknowledgedCalls) pops=\(acknowledgedPops) events=\(eventsInLog) "
                + "segments=\(segments) torn tails repaired=\(tornTailsRepaired) "
                + "read model caught up or rebuilt=\(readModelRepairs) "
                + "calls durable but killed before their ack was printed=\(unacknowledgedButDurable) "
                + "seconds=\(String(format: "%.1f", seconds)) (checking: \(String(format: "%.1f", checkSeconds)))"
        }
    }

    /// The identity of one add call of a child: run, task, counter.
    private struct Call: Hashable {
        let run: Int
        let task: Int
        let counter: Int
    }

    private struct Acknowledged {
        let sequence: UInt64
        let count: Int
    }

    let runs: Int
    let seed: UInt64

    /// Runs the kills and checks; returns the figures. Failures are recorded as test issues.
    func run() async throws -> Figures {
        let binary = try ReliabilityExecutables.ledgerTorture()
        let directory = try TemporaryDirectory(prefix: "reliability-kill")
        defer { directory.remove() }
        let store = directory.path + "/store"
        var random = SeededRandom(seed: seed)
        var figures = Figures()
        var acknowledged: [Call: Acknowledged] = [:]
        var printedPops = 0
        let start = ContinuousClock.now
        for run in 0..<runs {
            let duringOpen = run % 5 == 4
            if run % 7 == 6 {
                ReliabilityHelpers.removeReadModel(store)
            }
            let child = try ReliabilityChildProcess(
                executable: binary,
                arguments: [
                    "append", "--store", store, "--run", "\(run)", "--tasks", "3", "--max-batch", "4",
                    "--segment-bytes", "65536", "--seed", "\(seed &+ UInt64(run))",
                ]
            )
            if duringOpen {
                try await Task.sleep(for: .milliseconds(Int.random(in: 0...40, using: &random)))
                figures.killsDuringOpen += 1
            } else {
                guard await child.waitForLine(prefix: "open ", timeout: .seconds(60)) != nil else {
                    Issue.record("run \(run): the child did not open the store: \(child.standardError)")
                    return figures
                }
                try await Task.sleep(for: .milliseconds(Int.random(in: 30...150, using: &random)))
            }
            child.kill()
            let termination = await child.waitForExit(timeout: .seconds(60))
            guard termination == .signaled(SIGKILL) else {
                let ending = termination.map { "\($0)" } ?? "nothing (timeout)"
                Issue.record(
                    "run \(run): the child ended with \(ending) before the kill: \(child.lines.suffix(3)) \(child.standardError)"
                )
                return figures
            }
            figures.kills += 1
            for line in child.lines {
                let fields = line.split(separator: " ")
                switch fields.first {
                case "open":
                    figures.childrenOpened += 1
                case "ack":
                    guard fields.count == 5, let sequence = UInt64(fields[1]), let task = Int(fields[2]),
                        let counter = Int(fields[3]), let count = Int(fields[4])
                    else {
                        Issue.record("run \(run): unreadable record '\(line)'")
                        continue
                    }
                    acknowledged[Call(run: run, task: task, counter: counter)] = Acknowledged(
                        sequence: sequence,
                        count: count
                    )
                    figures.acknowledgedCalls += 1
                case "pop":
                    printedPops += 1
                    figures.acknowledgedPops += 1
                case "fail", "error", "locked":
                    Issue.record("run \(run): the child reported '\(line)'")
                default:
                    break
                }
            }
            let capture = ReliabilityLogCapture()
            let ledger = try await Ledger.open(
                at: store,
                options: LedgerOptions(durability: .none, logger: capture.logger)
            )
            if capture.messages.contains(where: { $0.contains("truncated a torn tail") }) {
                figures.tornTailsRepaired += 1
            }
            if capture.messages.contains(where: { $0.contains("read model") }) {
                figures.readModelRepairs += 1
            }
            let checkStart = ContinuousClock.now
            let check = try await check(
                ledger,
                acknowledged: acknowledged,
                deep: run % 5 == 4 || run == runs - 1,
                context: "run \(run)"
            )
            figures.checkSeconds += ReliabilityHelpers.seconds(since: checkStart)
            figures.unacknowledgedButDurable = check.unacknowledged
            figures.eventsInLog = check.events
            try await ledger.close()
            if check.failed {
                return figures
            }
        }
        figures.segments = try ReliabilityHelpers.segments(store).count
        figures.seconds = ReliabilityHelpers.seconds(since: start)
        return figures
    }

    private struct CheckResult {
        var events: UInt64 = 0
        var unacknowledged = 0
        var failed = false
    }

    /// Checks the reopened store against every acknowledged call so far.
    private func check(
        _ ledger: Ledger,
        acknowledged: [Call: Acknowledged],
        deep: Bool,
        context: String
    ) async throws -> CheckResult {
        var result = CheckResult()
        func fail(_ message: String) {
            result.failed = true
            Issue.record("\(context): \(message)")
        }
        let verification = try await Ledger.verifyLog(at: ledger.directory)
        if !verification.problems.isEmpty {
            fail("verify found \(verification.problems)")
        }
        let head = try await ledger.headSequence()
        let events = try await ReliabilityHelpers.events(ledger)
        result.events = UInt64(events.count)
        if events.map(\.sequence) != Array((0..<UInt64(events.count)).map { $0 + 1 }) || head != UInt64(events.count)
            || verification.lastSequence != head
        {
            fail("sequences are not 1...\(head) (\(events.count) events, verify says \(verification.lastSequence))")
        }
        // Every add call appears in exactly one event, whole, with its items in order.
        var found: [Call: Acknowledged] = [:]
        for event in events {
            guard case .itemsAdded(let items) = event.payload else {
                continue
            }
            var call: Call?
            for (index, item) in items.enumerated() {
                guard let parsed = Self.parse(ReliabilityHelpers.content(item) ?? ""),
                    parsed.index == index, parsed.count == items.count,
                    call == nil || call == parsed.call
                else {
                    fail("event \(event.sequence) holds an unexpected item \(item.json)")
                    return result
                }
                call = parsed.call
            }
            if let call {
                if found[call] != nil {
                    fail("call \(call) appears twice in the log (events \(found[call]!.sequence), \(event.sequence))")
                }
                found[call] = Acknowledged(sequence: event.sequence, count: items.count)
            }
        }
        for (call, ack) in acknowledged {
            guard let stored = found[call] else {
                fail("acknowledged call \(call) (sequence \(ack.sequence)) is missing from the log")
                continue
            }
            if stored.sequence != ack.sequence || stored.count != ack.count {
                fail("call \(call) was acknowledged as \(ack) but the log has \(stored)")
            }
        }
        // Per task, the calls in the log are a contiguous prefix holding every printed one, and at
        // most one more (the call in flight when the kill came).
        var counters: [String: [Int]] = [:]
        for call in found.keys {
            counters["\(call.run)/\(call.task)", default: []].append(call.counter)
        }
        var printed: [String: Int] = [:]
        for call in acknowledged.keys {
            printed["\(call.run)/\(call.task)", default: 0] += 1
        }
        for (key, values) in counters {
            let sorted = values.sorted()
            if sorted != Array(0..<sorted.count) {
                fail("the calls of \(key) in the log are not contiguous: \(sorted.prefix(10))…")
            }
            let extra = sorted.count - printed[key, default: 0]
            if extra < 0 || extra > 1 {
                fail("\(key): \(sorted.count) calls in the log, \(printed[key, default: 0]) acknowledged")
            }
            result.unacknowledged += max(extra, 0)
        }
        // The read model answers what the log says, and equals a fresh rebuild.
        let replay = ReliabilityHelpers.replay(events)
        if !replay.problems.isEmpty {
            fail("replay: \(replay.problems.prefix(3))")
        }
        for (session, items) in replay.items {
            let stored = try await ledger.session(session).items()
            if stored != items {
                fail("session \(session): the read model has \(stored.count) items, the log \(items.count)")
            }
        }
        if deep {
            let differences = try await ledger.verifyReadModel()
            if !differences.isEmpty {
                fail("the read model differs from a rebuild: \(differences.prefix(5))")
            }
        }
        return result
    }

    /// Parses `kill r=<run> t=<task> c=<counter> i=<index>/<count>`.
    private static func parse(_ content: String) -> (call: Call, index: Int, count: Int)? {
        let fields = content.split(separator: " ")
        guard fields.count == 5, fields[0] == "kill" else {
            return nil
        }
        func value(_ field: Substring, _ name: String) -> Substring? {
            field.hasPrefix(name + "=") ? field.dropFirst(name.count + 1) : nil
        }
        guard let run = value(fields[1], "r").flatMap({ Int($0) }),
            let task = value(fields[2], "t").flatMap({ Int($0) }),
            let counter = value(fields[3], "c").flatMap({ Int($0) }),
            let position = value(fields[4], "i")?.split(separator: "/"), position.count == 2,
            let index = Int(position[0]), let count = Int(position[1])
        else {
            return nil
        }
        return (Call(run: run, task: task, counter: counter), index, count)
    }
}
