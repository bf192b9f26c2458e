import AgentLedger
import AgentLedgerTestSupport
import Testing

/// The writer's overlapped group commit (adds and usage records derived from in-memory session
/// heads, applied while the log is fsynced) against the same commands one at a time.
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

    /// What a session looks like at the end, read back through the public API.
    struct SessionState: Equatable {
        var current: String
        var branches: [String: [SessionItem]]
        var usage: [String: [Int: Int]]
        var popped: [SessionItem?]
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
            if round == 16 {
                steps.append(.switchTo("main"))
            }
        }
        return steps
    }

    /// Runs `steps` on `session` one awaited call at a time; returns what each pop answered.
    static func run(_ steps: [Step], on session: LedgerSession) async throws -> [SessionItem?] {
        var popped: [SessionItem?] = []
        for step in steps {
            switch step {
            case .add(let items):
                try await session.addItems(items)
            case .usage(let tokens):
                _ = try await session.recordUsage(RunUsage(requests: 1, inputTokens: tokens, outputTokens: 1))
            case .pop:
                popped.append(try await session.popItem())
            case .branch(let turn, let name):
                _ = try await session.createBranch(fromTurn: turn, named: name)
            case .switchTo(let name):
                try await session.switchToBranch(name)
            }
        }
        return popped
    }

    static func state(of session: LedgerSession, popped: [SessionItem?]) async throws -> SessionState {
        var branches: [String: [SessionItem]] = [:]
        var usage: [String: [Int: Int]] = [:]
        for branch in try await session.listBranches() {
            branches[branch.name] = try await session.items(branch: branch.name)
            var turns: [Int: Int] = [:]
            for record in try await session.turnUsage(branch: branch.name) {
                turns[record.turn] = record.usage.inputTokens
            }
            usage[branch.name] = turns
        }
        return SessionState(
            current: try await session.currentBranch(),
            branches: branches,
            usage: usage,
            popped: popped
        )
    }

    @Test(
        "twelve sessions driven at once (adds and usage overlapped, pops and branches serial) end exactly as when each runs alone"
    )
    func concurrentSessionsMatchSequential() async throws {
        let sessionCount = 12
        let scripts = (0..<sessionCount).map { Self.script(session: $0) }

        let concurrentStore = try TemporaryStore(prefix: "overlap-concurrent")
        defer { concurrentStore.remove() }
        let concurrent = try await Ledger.open(at: concurrentStore.path)
        let poppedConcurrently = try await withThrowingTaskGroup(of: (Int, [SessionItem?]).self) { group in
            for index in 0..<sessionCount {
                let session = concurrent.session("agent-\(index)")
                group.addTask { (index, try await Self.run(scripts[index], on: session)) }
            }
            var result: [Int: [SessionItem?]] = [:]
            for try await (index, popped) in group {
                result[index] = popped
            }
            return result
        }

        let sequentialStore = try TemporaryStore(prefix: "overlap-sequential")
        defer { sequentialStore.remove() }
        let sequential = try await Ledger.open(at: sequentialStore.path)
        for index in 0..<sessionCount {
            let session = sequential.session("agent-\(index)")
            let popped = try await Self.run(scripts[index], on: session)
            let expected = try await Self.state(of: session, popped: popped)
            let actual = try await Self.state(
                of: concurrent.session("agent-\(index)"),
                popped: poppedConcurrently[index] ?? []
            )
            #expect(actual == expected, "session agent-\(index)")
            #expect(expected.branches.keys.sorted() == ["main", "retry"] && expected.current == "main")
            #expect(expected.popped.count == 4 && expected.popped.allSatisfy { $0 != nil })
        }
        #expect(try await concurrent.verifyReadModel() == [])
        try await concurrent.close()
        try await sequential.close()
    }

    @Test("a usage record right after the first add of a new session, in one batch, lands on turn 1")
    func usageAfterFirstAddInOneBatch() async throws {
        let store = try TemporaryStore(prefix: "overlap-usage")
        defer { store.remove() }
        let ledger = try await Ledger.open(at: store.path)
        // Many fresh sessions at once, so adds and usage records of one session share batches
        // with other sessions' before any of them is applied.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<40 {
                let session = ledger.session("fresh-\(index)")
                group.addTask {
                    let before = try await session.recordUsage(RunUsage(requests: 1, inputTokens: 1))
                    #expect(before == nil, "no turn yet: nothing recorded")
                    try await session.addItems([ItemFactory.user("hello \(index)")])
                    let after = try await session.recordUsage(RunUsage(requests: 1, inputTokens: 7))
                    #expect(after != nil)
                }
            }
            try await group.waitForAll()
        }
        for index in 0..<40 {
            let usage = try await ledger.session("fresh-\(index)").turnUsage()
            #expect(usage.map(\.turn) == [1] && usage.map(\.usage.inputTokens) == [7], "fresh-\(index)")
        }
        try await ledger.close()
    }
}
