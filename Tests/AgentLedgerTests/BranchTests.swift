import AgentLedger
import AgentLedgerTestSupport
import Testing

/// The Branches section of SEMANTICS.md.
@Suite("Branches")
struct BranchTests {
    /// Three turns: user, assistant per turn.
    static let conversation: [SessionItem] = [
        ItemFactory.user("first question"),
        ItemFactory.assistant("first answer"),
        ItemFactory.user("second question"),
        ItemFactory.assistant("second answer"),
        ItemFactory.user("third question"),
        ItemFactory.assistant("third answer"),
    ]

    @Test("a session starts on main; a branch from turn N holds the turns before it and becomes current")
    func createFromTurn() async throws {
        try await withLedger { ledger in
            let session = ledger.session("s")
            #expect(try await session.currentBranch() == "main")
            try await session.addItems(Self.conversation)
            let name = try await session.createBranch(fromTurn: 3, named: "alt")
            #expect(name == "alt")
            #expect(try await session.currentBranch() == "alt")
            #expect(try await session.items() == Array(Self.conversation[0..<4]))
            #expect(try await session.items(branch: "main") == Self.conversation)
            try await session.addItems([ItemFactory.user("another third")])
            #expect(try await session.items().count == 5)
            #expect(try await session.items(branch: "main").count == 6)
            let turns = try await session.conversationTurns()
            #expect(turns.map(\.turn) == [1, 2, 3])
            #expect(turns.last?.content == "another third")
        }
    }

    @Test("branching from turn 1 gives an empty branch that is listed and can be switched to")
    func emptyBranch() async throws {
        try await withLedger { ledger in
            let session = ledger.session("s")
            try await session.addItems(Self.conversation)
            try await session.createBranch(fromTurn: 1, named: "empty")
            #expect(try await session.items() == [])
            try await session.switchToBranch("main")
            let branches = try await session.listBranches()
            #expect(branches.map(\.name) == ["main", "empty"])
            #expect(branches.map(\.itemCount) == [6, 0])
            #expect(branches.map(\.userTurnCount) == [3, 0])
            #expect(branches.map(\.isCurrent) == [true, false])
            #expect(branches[1].parent == "main" && branches[1].fromTurn == 1)
            try await session.switchToBranch("empty")
            #expect(try await session.currentBranch() == "empty")
        }
    }

    @Test("a turn without a user item, a blank name and a used name are errors")
    func createErrors() async throws {
        try await withLedger { ledger in
            let session = ledger.session("s")
            try await session.addItems(Self.conversation)
            var error = try await #require(throws: LedgerError.self) { try await session.createBranch(fromTurn: 4) }
            #expect(error.code == .notFound)
            error = try await #require(throws: LedgerError.self) { try await session.createBranch(fromTurn: 0) }
            #expect(error.code == .notFound)
            error = try await #require(throws: LedgerError.self) {
                try await session.createBranch(fromTurn: 2, named: "  ")
            }
            #expect(error.code == .invalidArgument)
            error = try await #require(throws: LedgerError.self) {
                try await session.createBranch(fromTurn: 2, named: "main")
            }
            #expect(error.code == .conflict)
            try await session.createBranch(fromTurn: 2, named: "x")
            try await session.switchToBranch("main")
            error = try await #require(throws: LedgerError.self) {
                try await session.createBranch(fromTurn: 2, named: "x")
            }
            #expect(error.code == .conflict)
            #expect(try await session.currentBranch() == "main")
        }
    }

    @Test("generated names follow branch_from_turn_<n>_<unix seconds> with _2, _3 on collision")
    func generatedNames() async throws {
        try await withLedger(LedgerOptions(durability: .none, clock: { 1_700_000_000_123_456 })) { ledger in
            let session = ledger.session("s")
            try await session.addItems(Self.conversation)
            #expect(try await session.createBranch(fromTurn: 2) == "branch_from_turn_2_1700000000")
            try await session.switchToBranch("main")
            #expect(try await session.createBranch(fromTurn: 2) == "branch_from_turn_2_1700000000_2")
            try await session.switchToBranch("main")
            #expect(try await session.createBranch(fromTurn: 2) == "branch_from_turn_2_1700000000_3")
        }
    }

    @Test("branching from the earliest user turn containing a text; no match is an error")
    func createFromContent() async throws {
        try await withLedger { ledger in
            let session = ledger.session("s")
            try await session.addItems(Self.conversation)
            try await session.createBranch(fromTurnContaining: "QUESTION", named: "q")
            #expect(try await session.items() == [])
            try await session.switchToBranch("main")
            try await session.createBranch(fromTurnContaining: "third", named: "t")
            #expect(try await session.items() == Array(Self.conversation[0..<4]))
            let error = try await #require(throws: LedgerError.self) {
                try await session.createBranch(fromTurnContaining: "absent")
            }
            #expect(error.code == .notFound)
        }
    }

    @Test("switching to an unknown branch is an error")
    func switchUnknown() async throws {
        try await withLedger { ledger in
            let session = ledger.session("s")
            try await session.addItems(Self.conversation)
            let error = try await #require(throws: LedgerError.self) { try await session.switchToBranch("nope") }
            #expect(error.code == .notFound)
        }
    }

    @Test("delete: main never, current only with force (then main), unknown is an error, name stays reserved")
    func delete() async throws {
        try await withLedger { ledger in
            let session = ledger.session("s")
            try await session.addItems(Self.conversation)
            try await session.createBranch(fromTurn: 3, named: "b")
            var error = try await #require(throws: LedgerError.self) { try await session.deleteBranch("main") }
            #expect(error.code == .conflict)
            error = try await #require(throws: LedgerError.self) { try await session.deleteBranch("b") }
            #expect(error.code == .conflict)
            error = try await #require(throws: LedgerError.self) { try await session.deleteBranch("zzz") }
            #expect(error.code == .notFound)
            error = try await #require(throws: LedgerError.self) { try await session.deleteBranch(" ") }
            #expect(error.code == .invalidArgument)
            try await session.deleteBranch("b", force: true)
            #expect(try await session.currentBranch() == "main")
            #expect(try await session.listBranches().map(\.name) == ["main"])
            // Items shared with other branches stay there.
            #expect(try await session.items() == Self.conversation)
            error = try await #require(throws: LedgerError.self) {
                try await session.createBranch(fromTurn: 2, named: "b")
            }
            #expect(error.code == .conflict)
            error = try await #require(throws: LedgerError.self) { try await session.switchToBranch("b") }
            #expect(error.code == .notFound)
        }
    }

    @Test("clear removes every branch's items, returns to main, and keeps names reserved")
    func clearBranches() async throws {
        try await withLedger { ledger in
            let session = ledger.session("s")
            try await session.addItems(Self.conversation)
            try await session.createBranch(fromTurn: 2, named: "b")
            try await session.addItems([ItemFactory.user("on b")])
            try await session.clearSession()
            #expect(try await session.currentBranch() == "main")
            #expect(try await session.items() == [])
            #expect(try await session.items(branch: "b") == [])
            #expect(try await session.listBranches().map(\.name) == ["main"])
            let error = try await #require(throws: LedgerError.self) {
                try await session.createBranch(fromTurn: 1, named: "b")
            }
            #expect(error.code == .notFound)  // no turn 1 after a clear
            try await session.addItems([ItemFactory.user("again")])
            let reused = try await #require(throws: LedgerError.self) {
                try await session.createBranch(fromTurn: 1, named: "b")
            }
            #expect(reused.code == .conflict)
        }
    }

    @Test("the current branch is shared by every handle and survives reopening")
    func currentBranchPersists() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        do {
            let ledger = try await store.open()
            try await ledger.session("s").addItems(Self.conversation)
            try await ledger.session("s").createBranch(fromTurn: 2, named: "b")
            #expect(try await ledger.session("s").currentBranch() == "b")
            try await ledger.close()
        }
        let ledger = try await store.open()
        #expect(try await ledger.session("s").currentBranch() == "b")
        #expect(try await ledger.session("s").items() == Array(Self.conversation[0..<2]))
        try await ledger.close()
    }

    @Test("pop and add act on the current branch only")
    func popOnBranch() async throws {
        try await withLedger { ledger in
            let session = ledger.session("s")
            try await session.addItems(Self.conversation)
            try await session.createBranch(fromTurn: 3, named: "b")
            #expect(try await session.popItem() == Self.conversation[3])
            #expect(try await session.items(branch: "main") == Self.conversation)
        }
    }
}
