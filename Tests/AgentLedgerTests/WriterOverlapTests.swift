import AgentLedgerTestSupport
import Dispatch
import Synchronization
import Testing

@testable import AgentLedger

/// The writer's overlapped group commit (adds and usage records derived from the session heads
/// it keeps in memory, applied while the log is fsynced), checked against ``SessionModel``:
/// sessions driven at once and one at a time, commands of one session inside one batch, and
/// session names that are equal as Swift strings but not as bytes.
@Suite("Writer: overlapped group commits", .serialized)
struct WriterOverlapTests {
    /// One session's commands: adds and usage records (overlapped) mixed with pops, branch
    /// creation and switches (serial), so both paths alternate on the same session.
    enum Step: Sendable {
        case add([SessionItem])
        case usage(Int)
        case pop
        case branch(fromTurn: Int, name: String)
        case switchTo(String)
    }

    static func script(session: Int) -> [Step] {
        var steps: [Step] = []
        for round in 1...24 {
            steps.append(.add([ItemFactory.user("s\(session) question \(round)")]))
            steps.append(.add([ItemFactory.assistant("s\(session) answer \(round)"), ItemFactory.assistant("more")]))
            steps.append(.usage(round * 10 + session))
            if round % 5 == 0 {
                steps.append(.pop)
            }
            if round == 8 {
                steps.append(.branch(fromTurn: 4, name: "retry"))
            }
            if round == 12 {
                // Pops the user turn too: the next usage record belongs to turn 11 of this branch.
                steps += [.pop, .pop, .pop, .usage(999)]
            }
            if round == 16 {
                steps.append(.switchTo("main"))
            }
        }
        return steps
    }

    static func usage(_ tokens: Int) -> RunUsage {
        RunUsage(requests: 1, inputTokens: tokens, outputTokens: 1, totalTokens: tokens + 1)
    }

    /// Runs `steps` on `session` one awaited call at a time.
    static func run(_ steps: [Step], on session: LedgerSession) async throws {
        for step in steps {
            switch step {
            case .add(let items):
                try await session.addItems(items)
            case .usage(let tokens):
                _ = try await session.recordUsage(usage(tokens))
            case .pop:
                _ = try await session.popItem()
            case .branch(let turn, let name):
                _ = try await session.createBranch(fromTurn: turn, named: name)
            case .switchTo(let name):
                try await session.switchToBranch(name)
            }
        }
    }

    /// The model's state after `steps`.
    static func model(_ steps: [Step]) throws -> SessionModel.Snapshot {
        var model = SessionModel()
        for step in steps {
            switch step {
            case .add(let items):
                _ = try model.add(items)
            case .usage(let tokens):
                _ = try model.recordUsage(usage(tokens))
            case .pop:
                _ = model.pop()
            case .branch(let turn, let name):
                _ = try model.createBranch(fromTurn: turn, named: name, unixSeconds: 0)
            case .switchTo(let name):
                _ = try model.switchToBranch(name)
            }
        }
        return model.snapshot()
    }

    @Test(
        "twelve sessions driven at once, and again one at a time (adds and usage overlapped, pops and branches serial), end as the model says"
    )
    func concurrentAndSequentialMatchTheModel() async throws {
        let sessionCount = 12
        let scripts = (0..<sessionCount).map { Self.script(session: $0) }
        let expected = try scripts.map(Self.model)
        #expect(expected[0].byBranch["main"]?.usageTurns.contains(11) == true, "the script pops a user turn")

        let concurrentStore = try TemporaryStore(prefix: "overlap-concurrent")
        defer { concurrentStore.remove() }
        let concurrent = try await Ledger.open(at: concurrentStore.path)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<sessionCount {
                let session = concurrent.session("agent-\(index)")
                group.addTask { try await Self.run(scripts[index], on: session) }
            }
            try await group.waitForAll()
        }
        let sequentialStore = try TemporaryStore(prefix: "overlap-sequential")
        defer { sequentialStore.remove() }
        let sequential = try await Ledger.open(at: sequentialStore.path)
        for index in 0..<sessionCount {
            try await Self.run(scripts[index], on: sequential.session("agent-\(index)"))
        }

        for index in 0..<sessionCount {
            for (name, ledger) in [("at once", concurrent), ("one at a time", sequential)] {
                let actual = try await SessionModel.Snapshot.capture(ledger.session("agent-\(index)"))
                #expect(actual.differences(from: expected[index]) == [], "agent-\(index), \(name)")
            }
        }
        #expect(try await concurrent.verifyReadModel() == [])
        try await concurrent.close()
        try await sequential.close()
    }

    @Test("16 writers each read their own add at once, though the writer acknowledges adds before the SQLite COMMIT")
    func readsOwnWrites() async throws {
        let store = try TemporaryStore(prefix: "overlap-own-writes")
        defer { store.remove() }
        // fsync: the overlapped group commit, which resumes callers before its COMMIT.
        let ledger = try await Ledger.open(at: store.path, options: LedgerOptions(durability: .fsync))
        final class Misses: Sendable {
            let list = Mutex<[String]>([])
        }
        let misses = Misses()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<16 {
                let session = ledger.session("own-\(writer)")
                group.addTask {
                    for call in 0..<150 {
                        let item = ItemFactory.user("writer \(writer) call \(call)")
                        try await session.addItems([item])
                        let head = try await ledger.headSequence()
                        let last = try await session.items(limit: 1)
                        let asOfHead = try await session.items(limit: 1, asOf: .sequence(head))
                        if last != [item] || asOfHead != [item] {
                            misses.list.withLock {
                                $0.append("writer \(writer) call \(call): \(last), as of \(head): \(asOfHead)")
                            }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let found = misses.list.withLock { $0 }
        #expect(found.isEmpty, "\(found.count) of 2,400 reads missed the caller's own add, first: \(found.prefix(3))")
        try await ledger.close()
    }

    @Test("adds and usage records of one session inside one group commit land on the turns the model gives")
    func oneSessionInOneBatch() async throws {
        let store = try TemporaryStore(prefix: "overlap-batch")
        defer { store.remove() }
        let ledger = try await Ledger.open(at: store.path)
        let session = ledger.session("batched")
        let fresh = ledger.session("fresh")
        try await session.addItems([ItemFactory.user("q1"), ItemFactory.assistant("a1")])
        let writer = try #require(ledger.writer)

        // Hold the writer thread so that the calls below queue up, in this order, and go out
        // together as one batch.
        let hold = DispatchSemaphore(value: 0)
        let holding = DispatchSemaphore(value: 0)
        let held = Task {
            try await writer.exclusive { _ in
                holding.signal()
                hold.wait()
            }
        }
        // The writer thread is held before the first call is made: a task the pool started
        // after that call would let the writer take it alone, and the loop below wait forever
        // for a queue that stays empty.
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                holding.wait()
                continuation.resume()
            }
        }
        let calls: [@Sendable () async throws -> Void] = [
            { _ = try await fresh.recordUsage(Self.usage(1)) },  // no turn yet: nothing
            { try await fresh.addItems([ItemFactory.user("first")]) },
            { _ = try await fresh.recordUsage(Self.usage(2)) },  // turn 1
            { try await session.addItems([ItemFactory.user("q2")]) },
            { _ = try await session.recordUsage(Self.usage(3)) },  // turn 2
            { try await session.addItems([ItemFactory.assistant("a2"), ItemFactory.user("q3")]) },
            { _ = try await session.recordUsage(Self.usage(4)) },  // turn 3
        ]
        var tasks: [Task<Void, any Error>] = []
        for (index, call) in calls.enumerated() {
            tasks.append(Task { try await call() })
            while writer.queuedRequestCount < index + 1 {
                await Task.yield()
            }
        }
        hold.signal()
        try await held.value
        for task in tasks {
            try await task.value
        }

        var model = SessionModel()
        _ = try model.add([ItemFactory.user("q1"), ItemFactory.assistant("a1")])
        _ = try model.add([ItemFactory.user("q2")])
        _ = try model.recordUsage(Self.usage(3))
        _ = try model.add([ItemFactory.assistant("a2"), ItemFactory.user("q3")])
        _ = try model.recordUsage(Self.usage(4))
        var freshModel = SessionModel()
        #expect(try freshModel.recordUsage(Self.usage(1)) == false)
        _ = try freshModel.add([ItemFactory.user("first")])
        _ = try freshModel.recordUsage(Self.usage(2))
        let actual = try await SessionModel.Snapshot.capture(session)
        #expect(actual.differences(from: model.snapshot()) == [])
        let freshActual = try await SessionModel.Snapshot.capture(fresh)
        #expect(freshActual.differences(from: freshModel.snapshot()) == [])
        #expect(try await session.turnUsage().map(\.turn) == [2, 3])
        try await ledger.close()
    }

    @Test("two spellings of one name (composed and decomposed é) are two sessions with their own turns and branches")
    func canonicallyEqualSessionNames() async throws {
        let store = try TemporaryStore(prefix: "overlap-nfc")
        defer { store.remove() }
        let ledger = try await Ledger.open(at: store.path)
        let composed = ledger.session("caf\u{E9}")
        let decomposed = ledger.session("cafe\u{301}")
        #expect(composed.sessionID == decomposed.sessionID, "Swift compares them as equal")

        try await composed.addItems([ItemFactory.user("1"), ItemFactory.user("2"), ItemFactory.user("3")])
        #expect(try await decomposed.recordUsage(Self.usage(5)) == nil, "the decomposed session has no turn")
        _ = try await composed.createBranch(fromTurn: 2, named: "alt")
        try await decomposed.addItems([ItemFactory.user("other")])
        #expect(try await decomposed.recordUsage(Self.usage(6)) != nil)

        #expect(try await decomposed.currentBranch() == "main")
        #expect(try await decomposed.turnUsage().map(\.turn) == [1])
        #expect(try await decomposed.items().count == 1)
        #expect(try await composed.currentBranch() == "alt")
        #expect(try await composed.items().count == 1)
        #expect(try await ledger.verifyReadModel() == [])
        try await ledger.close()
    }
}
