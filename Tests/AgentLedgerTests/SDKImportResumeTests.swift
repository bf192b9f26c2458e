import AgentLedger
import AgentLedgerTestSupport
import Foundation
import Testing

/// `importSDKSQLite(resuming: true)` (`import-sdk-sqlite --resume`): an import that stopped is
/// finished, and ends as one that never stopped.
@Suite("Resuming an import of an Agents SDK database")
struct SDKImportResumeTests {
    /// Every session's branches (name, current) and their items, as a store answers them.
    static func state(_ ledger: Ledger, sessions: [String]) async throws -> [String: [String: [SessionItem]]] {
        var state: [String: [String: [SessionItem]]] = [:]
        for id in sessions {
            let session = ledger.session(id)
            var branches: [String: [SessionItem]] = [:]
            for branch in try await session.listBranches() {
                let name = branch.isCurrent ? branch.name + " (current)" : branch.name
                branches[name] = try await session.items(limit: nil, branch: branch.name)
            }
            state[id] = branches
        }
        return state
    }

    /// A `SQLiteSession` database of three sessions: `a` (5 items), `b` (40 items of about 300
    /// bytes, several group commits at `groupCommitMaxBytes` 2,048) and `c` (3 items).
    static func plainDatabase(in store: TemporaryStore) throws -> String {
        var sql = SDKImportTests.plainTables
        var id = 0
        for (session, count, size) in [("a", 5, 20), ("b", 40, 300), ("c", 3, 20)] {
            sql += "INSERT INTO agent_sessions (session_id) VALUES ('\(session)');\n"
            for index in 0..<count {
                id += 1
                let text = "\(session) \(index) " + String(repeating: "x", count: size)
                sql +=
                    "INSERT INTO agent_messages VALUES (\(id), '\(session)', '{\"role\":\"user\",\"content\":\"\(text)\"}');\n"
            }
        }
        return try SDKImportTests.database(sql, in: store)
    }

    @Test("an import stopped by a full disk in the middle of a session is finished by resuming, as if it never stopped")
    func stoppedByAFullDisk() async throws {
        let reference = try TemporaryStore()
        defer { reference.remove() }
        let store = try TemporaryStore()
        defer { store.remove() }
        let path = try Self.plainDatabase(in: store)
        let small: (inout LedgerOptions) -> Void = { $0.groupCommitMaxBytes = 2048 }

        var ledger = try await reference.open(configure: small)
        _ = try await ledger.importSDKSQLite(at: path)
        let expected = try await Self.state(ledger, sessions: ["a", "b", "c"])
        try await ledger.close()

        // The third frame's write fails: `a` is in, `b` in part, `c` not.
        let fileSystem = FaultyFileSystem()
        ledger = try await store.open {
            small(&$0)
            $0.fileSystem = fileSystem
        }
        fileSystem.failWrite(3, errno: ENOSPC, pathSuffix: ".seg")
        let stopped = try await #require(throws: LedgerError.self) { try await ledger.importSDKSQLite(at: path) }
        #expect(stopped.message.contains("session 'b' in part") && stopped.message.contains("--resume"), "\(stopped)")
        try await ledger.close()

        ledger = try await store.open(configure: small)
        let partial = try await ledger.session("b").items(limit: nil)
        #expect(partial.count > 0 && partial.count < 40, "\(partial.count)")
        #expect(try await ledger.session("c").items(limit: nil).isEmpty)
        // Without resuming, the sessions already here refuse the import.
        let refused = try await #require(throws: LedgerError.self) { try await ledger.importSDKSQLite(at: path) }
        #expect(refused.code == .conflict)

        let summary = try await ledger.importSDKSQLite(at: path, resuming: true)
        #expect(summary.skipped.contains("session 'a': already imported whole (resuming)"), "\(summary.skipped)")
        #expect(summary.items == 40 - partial.count + 3)
        #expect(try await Self.state(ledger, sessions: ["a", "b", "c"]) == expected)

        // Again: nothing left to write.
        let again = try await ledger.importSDKSQLite(at: path, resuming: true)
        #expect(again.eventsWritten == 0 && again.items == 0, "\(again)")
        #expect(again.skipped.filter { $0.hasSuffix("already imported whole (resuming)") }.count == 3)
        #expect(try await Self.state(ledger, sessions: ["a", "b", "c"]) == expected)
        try await ledger.close()
    }

    /// Stops an import of the SDK database at `path` at every group commit in turn (a full disk
    /// at the k-th frame, `groupCommitMaxBytes` 512), resumes each, and expects every store to
    /// end as a whole import. Returns how many stop points it tried.
    static func resumeFromEveryStop(of path: String, in directory: String) async throws -> Int {
        let small: (inout LedgerOptions) -> Void = { $0.groupCommitMaxBytes = 512 }
        let reference = try TemporaryStore()
        defer { reference.remove() }
        var ledger = try await reference.open(configure: small)
        _ = try await ledger.importSDKSQLite(at: path)
        let sessions = try await ledger.sessions().map(\.sessionID)
        let expected = try await Self.state(ledger, sessions: sessions)
        try await ledger.close()
        var stops = 0
        for frame in 1... {
            let store = try TemporaryStore()
            defer { store.remove() }
            let fileSystem = FaultyFileSystem()
            ledger = try await store.open {
                small(&$0)
                $0.fileSystem = fileSystem
            }
            fileSystem.failWrite(frame, errno: ENOSPC, pathSuffix: ".seg")
            var stopped = false
            do {
                _ = try await ledger.importSDKSQLite(at: path)
            } catch is LedgerError {
                stopped = true
            }
            try? await ledger.close()
            // Past the last frame the fault never fires, and the import completes.
            #expect(stopped == (fileSystem.statistics.faultsInjected == 1), "frame \(frame)")
            guard stopped else {
                break
            }
            stops += 1
            ledger = try await store.open(configure: small)
            _ = try await ledger.importSDKSQLite(at: path, resuming: true)
            #expect(try await Self.state(ledger, sessions: sessions) == expected, "stopped at frame \(frame)")
            try await ledger.close()
        }
        return stops
    }

    @Test("a branched import stopped at any group commit, resumed, ends as a whole import")
    func branchedStoppedAnywhere() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        // Written by openai-agents 0.24.0's AdvancedSQLiteSession (Fixtures/README.md).
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Fixtures/sdk-advanced-session.sql").standardized.path
        let path = try SDKImportTests.database(".read \(fixture)", in: store)
        let stops = try await Self.resumeFromEveryStop(of: path, in: store.path)
        #expect(stops >= 3, "\(stops)")
    }

    @Test("an import of a session with no main branch (its items on 'trunk'), stopped anywhere and resumed, ends whole")
    func noMainBranchStoppedAnywhere() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let messages = (1...6).map {
            ($0, "s", #"{"role":"\#($0 % 2 == 1 ? "user" : "assistant")","content":"m\#($0)"}"#)
        }
        let structure = (1...6).map { ($0, "s", "trunk", $0) }
        let path = try SDKImportTests.database(
            SDKImportTests.advancedSchema(messages: messages, structure: structure),
            in: store
        )
        let stops = try await Self.resumeFromEveryStop(of: path, in: store.path)
        #expect(stops >= 2, "\(stops)")
    }

    @Test("session ids that differ only in Unicode normalization are two sessions to a resume, as to the store")
    func normalizationVariants() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let (composed, decomposed) = ("caf\u{E9}", "cafe\u{301}")
        var sql = SDKImportTests.plainTables
        sql += "INSERT INTO agent_sessions (session_id) VALUES ('\(composed)'), ('\(decomposed)');\n"
        for (id, session, text) in [
            (1, composed, "x"), (2, composed, "y"), (3, decomposed, "x"), (4, decomposed, "y"), (5, decomposed, "z"),
        ] {
            sql +=
                "INSERT INTO agent_messages VALUES (\(id), '\(session)', '{\"role\":\"user\",\"content\":\"\(text)\"}');\n"
        }
        let path = try SDKImportTests.database(sql, in: store)
        let ledger = try await store.open()
        func item(_ text: String) throws -> SessionItem {
            try SessionItem(json: #"{"role":"user","content":"\#(text)"}"#)
        }
        // What an import stopped after the first session leaves.
        try await ledger.session(composed).addItems([item("x"), item("y")])
        let summary = try await ledger.importSDKSQLite(at: path, resuming: true)
        #expect(
            summary.skipped.contains("session '\(composed)': already imported whole (resuming)"),
            "\(summary.skipped)"
        )
        #expect(try await ledger.session(composed).items() == [item("x"), item("y")])
        #expect(try await ledger.session(decomposed).items() == [item("x"), item("y"), item("z")])
        try await ledger.close()
    }

    @Test(
        "resuming refuses, writing nothing, a session that is not what an interrupted import leaves; and with appending"
    )
    func refusals() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let path = try Self.plainDatabase(in: store)
        let ledger = try await store.open()
        try await ledger.session("c").addItems([ItemFactory.user("not from the file")])
        let head = try await ledger.stats().headSequence

        let conflict = try await #require(throws: LedgerError.self) {
            try await ledger.importSDKSQLite(at: path, resuming: true)
        }
        #expect(conflict.code == .conflict)
        #expect(
            conflict.message.contains("session 'c'") && conflict.message.contains("the same first 0"),
            "\(conflict)"
        )
        let both = try await #require(throws: LedgerError.self) {
            try await ledger.importSDKSQLite(at: path, appending: true, resuming: true)
        }
        #expect(both.code == .invalidArgument)
        #expect(try await ledger.stats().headSequence == head)
        #expect(try await ledger.session("a").items(limit: nil).isEmpty)
        try await ledger.close()
    }

    @Test("a resumed import counts each message it still writes once, also those the plan adds twice")
    func resumedCountsMessagesOnce() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        // main: one assistant item; b: its own user, assistant, user, created through main (no
        // branch has a user turn to create it from), which adds b's items twice.
        let messages = [
            (1, "s", #"{"role":"assistant","content":"m1"}"#), (2, "s", #"{"role":"user","content":"m2"}"#),
            (3, "s", #"{"role":"assistant","content":"m3"}"#), (4, "s", #"{"role":"user","content":"m4"}"#),
        ]
        let structure = [(1, "s", "main", 1), (2, "s", "b", 1), (3, "s", "b", 2), (4, "s", "b", 3)]
        let path = try SDKImportTests.database(
            SDKImportTests.advancedSchema(messages: messages, structure: structure),
            in: store
        )
        let reference = try TemporaryStore()
        defer { reference.remove() }
        var ledger = try await reference.open()
        #expect(try await ledger.importSDKSQLite(at: path).items == 4)
        let expected = try await Self.state(ledger, sessions: ["s"])
        try await ledger.close()
        // What an import stopped after main's add leaves.
        ledger = try await store.open()
        try await ledger.session("s").addItems([try SessionItem(json: messages[0].2)])
        let summary = try await ledger.importSDKSQLite(at: path, resuming: true)
        #expect(summary.items == 3, "\(summary)")
        #expect(try await Self.state(ledger, sessions: ["s"]) == expected)
        try await ledger.close()
    }
}
