import AgentLedger
import AgentLedgerTestSupport
import Testing

/// The Usage section of SEMANTICS.md.
@Suite("Usage")
struct UsageTests {
    @Test("usage is recorded for the current turn; the last write for a turn wins; no turn records nothing")
    func record() async throws {
        try await withLedger { ledger in
            let session = ledger.session("s")
            await session.storeRunUsage(RunUsage(requests: 1, inputTokens: 10, outputTokens: 5, totalTokens: 15))
            #expect(try await session.sessionUsage() == nil)
            #expect(try await ledger.headSequence() == 0)
            try await session.addItems([ItemFactory.user("one"), ItemFactory.assistant("a")])
            await session.storeRunUsage(RunUsage(requests: 1, inputTokens: 10, outputTokens: 5, totalTokens: 15))
            await session.storeRunUsage(
                RunUsage(requests: 2, inputTokens: 20, outputTokens: 6, totalTokens: 26, detailsJSON: #"{"cached":3}"#)
            )
            try await session.addItems([ItemFactory.user("two")])
            await session.storeRunUsage(RunUsage(requests: 1, inputTokens: 1, outputTokens: 1, totalTokens: 2))
            let totals = try #require(try await session.sessionUsage())
            #expect(totals.requests == 3 && totals.inputTokens == 21 && totals.totalTokens == 28)
            #expect(totals.turnCount == 2)
            let turnOne = try await session.turnUsage(1)
            #expect(turnOne.map(\.usage.totalTokens) == [26])
            #expect(turnOne.first?.usage.detailsJSON == #"{"cached":3}"#)
            #expect(try await session.turnUsage().map(\.turn) == [1, 2])
            #expect(try await session.turnUsage(7) == [])
        }
    }

    @Test("usage sums across branches or for one branch")
    func branches() async throws {
        try await withLedger { ledger in
            let session = ledger.session("s")
            try await session.addItems([ItemFactory.user("one"), ItemFactory.user("two")])
            await session.storeRunUsage(RunUsage(requests: 1, totalTokens: 100))
            try await session.createBranch(fromTurn: 2, named: "b")
            try await session.addItems([ItemFactory.user("two again")])
            await session.storeRunUsage(RunUsage(requests: 1, totalTokens: 7))
            #expect(try await session.sessionUsage()?.totalTokens == 107)
            #expect(try await session.sessionUsage(branch: "main")?.totalTokens == 100)
            #expect(try await session.sessionUsage(branch: "b")?.totalTokens == 7)
            #expect(try await session.turnUsage(2).map(\.branch) == ["b"])
        }
    }

    @Test("popping the last item of a turn drops its usage; clear drops all of it")
    func popAndClear() async throws {
        try await withLedger { ledger in
            let session = ledger.session("s")
            try await session.addItems([ItemFactory.user("one"), ItemFactory.user("two"), ItemFactory.assistant("a")])
            await session.storeRunUsage(RunUsage(requests: 1, totalTokens: 5))
            _ = try await session.popItem()  // the assistant item: turn 2 still has its user item
            #expect(try await session.sessionUsage()?.totalTokens == 5)
            _ = try await session.popItem()  // the user item: turn 2 is gone, and its usage
            #expect(try await session.sessionUsage() == nil)
            await session.storeRunUsage(RunUsage(requests: 1, totalTokens: 9))
            #expect(try await session.turnUsage().map(\.turn) == [1])
            try await session.clearSession()
            #expect(try await session.sessionUsage() == nil)
        }
    }

    @Test("a count below 0 or over RunUsage.maxFieldValue is refused, naming the field; sums at the cap are exact")
    func countLimits() async throws {
        try await withLedger { ledger in
            let session = ledger.session("s")
            try await session.addItems([ItemFactory.user("one"), ItemFactory.user("two")])
            let cap = RunUsage.maxFieldValue
            let refused: [(field: String, value: Int, usage: RunUsage)] = [
                ("requests", Int.max, RunUsage(requests: Int.max)),
                ("inputTokens", cap + 1, RunUsage(inputTokens: cap + 1)),
                ("outputTokens", -1, RunUsage(outputTokens: -1)),
                ("totalTokens", Int.min, RunUsage(totalTokens: Int.min)),
            ]
            for (field, value, usage) in refused {
                let error = try await #require(throws: LedgerError.self) { try await session.recordUsage(usage) }
                #expect(error.code == .invalidArgument)
                #expect(error.message.contains("usage's \(field) is \(value)"))
                #expect(error.message.contains("RunUsage.maxFieldValue"))
                await session.storeRunUsage(usage)
            }
            #expect(try await session.sessionUsage() == nil)
            #expect(try await ledger.headSequence() == 1)
            // Two records at the cap, on two branches: the sums are exact.
            let full = RunUsage(requests: cap, inputTokens: cap, outputTokens: cap, totalTokens: cap)
            try await session.recordUsage(full)
            try await session.createBranch(fromTurn: 2, named: "b")
            try await session.addItems([ItemFactory.user("two again")])
            try await session.recordUsage(full)
            let totals = try #require(try await session.sessionUsage())
            #expect(totals.requests == 2 * cap && totals.inputTokens == 2 * cap && totals.totalTokens == 2 * cap)
        }
    }

    @Test("storeRunUsage never throws, even on a closed store")
    func neverThrows() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let ledger = try await store.open()
        try await ledger.session("s").addItems([ItemFactory.user("x")])
        try await ledger.close()
        await ledger.session("s").storeRunUsage(RunUsage(requests: 1))
        let reopened = try await store.open()
        #expect(try await reopened.session("s").sessionUsage() == nil)
        try await reopened.close()
    }
}
