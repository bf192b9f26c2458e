import AgentLedger
import AgentLedgerTestSupport
import Foundation
import Synchronization
import Testing

@Suite("Import of Agents SDK databases")
struct SDKImportTests {
    /// Builds an SQLite database from SQL with the sqlite3 shell, inside the store's directory
    /// (removed with it).
    static func database(_ sql: String, in store: TemporaryStore, named name: String = "sdk.db") throws -> String {
        let path = store.path + "/" + name
        let shell = try ChildSpawn.run("/usr/bin/sqlite3", [path, sql])
        #expect(shell.status == 0, "\(shell.output)")
        return path
    }

    /// SQL for the tables of a `SQLiteSession` database.
    static let plainTables = """
        CREATE TABLE agent_sessions (session_id TEXT PRIMARY KEY, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP);
        CREATE TABLE agent_messages (id INTEGER PRIMARY KEY, session_id TEXT, message_data TEXT);

        """

    /// SQL for the tables of an `AdvancedSQLiteSession` database that an import reads, with
    /// `messages` as (id, session, data) and `structure` as (message id, session, branch,
    /// sequence number).
    static func advancedSchema(messages: [(Int, String, String)], structure: [(Int, String, String, Int)]) -> String {
        var sql =
            plainTables + """
                CREATE TABLE message_structure (id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT, message_id INTEGER,
                    branch_id TEXT, message_type TEXT, sequence_number INTEGER);
                INSERT INTO agent_sessions (session_id) VALUES ('s');

                """
        for (id, session, data) in messages {
            sql += "INSERT INTO agent_messages VALUES (\(id), '\(session)', '\(data)');\n"
        }
        for (message, session, branch, sequence) in structure {
            sql += """
                INSERT INTO message_structure (session_id, message_id, branch_id, message_type, sequence_number)
                VALUES ('\(session)', \(message), '\(branch)', 'x', \(sequence));

                """
        }
        return sql
    }

    static func contents(_ items: [SessionItem]) -> [String] {
        items.map { item in
            if case .string(let text) = item.value["content"] {
                return text
            }
            if case .string(let type) = item.value["type"] {
                return type
            }
            return "?"
        }
    }

    @Test("an AdvancedSQLiteSession database keeps each branch's items, as the SDK reads them, and main current")
    func advancedBranches() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        // Written by openai-agents 0.24.0's AdvancedSQLiteSession (Fixtures/README.md).
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Fixtures/sdk-advanced-session.sql").standardized.path
        let path = try Self.database(".read \(fixture)", in: store)
        let ledger = try await store.open()
        let summary = try await ledger.importSDKSQLite(at: path)
        #expect(summary.refused == [])
        #expect(summary.items == 13 && summary.sessions == 2)
        let trip = ledger.session("trip")
        // What the SDK's get_items returned on each branch.
        let expected = [
            "main": [
                "You plan trips.", "Plan a weekend in Lisbon", "message", "Make it cheaper", "function_call",
                "function_call_output", "message", "Thanks",
            ],
            "budget-retry": [
                "You plan trips.", "Plan a weekend in Lisbon", "message", "Make it cheaper, no hostels", "message",
            ],
            "retry-of-retry": ["You plan trips.", "Plan a weekend in Lisbon", "message", "Make it cheaper, camping"],
        ]
        for (branch, contents) in expected {
            #expect(Self.contents(try await trip.items(branch: branch)) == contents, "branch \(branch)")
        }
        let branches = try await trip.listBranches()
        #expect(branches.map(\.name) == ["main", "budget-retry", "retry-of-retry"])
        // Created from the turn the SDK branched from, sharing the rows before it: no pops.
        #expect(branches.map(\.fromTurn) == [nil, 2, 2])
        #expect(
            try await ledger.events().reduce(0) { count, event in
                if case .itemPopped = event.payload { count + 1 } else { count }
            } == 0
        )
        #expect(try await trip.currentBranch() == "main")
        #expect(Self.contents(try await ledger.session("other").items()) == ["hi é", "hello"])
        try await ledger.close()
    }

    @Test("a branch that starts with no imported branch's turns is still imported exactly")
    func orphanBranch() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let messages = [
            (1, "s", #"{"role":"system","content":"sys"}"#),
            (2, "s", #"{"role":"user","content":"q1"}"#),
            (3, "s", #"{"role":"user","content":"q2"}"#),
            (4, "s", #"{"role":"user","content":"other start"}"#),
            (5, "s", #"{"role":"assistant","content":"a"}"#),
        ]
        // "lone" shares no rows with main (its parent was deleted): created from main's turn 1,
        // which copies "sys", then emptied and filled.
        let structure = [
            (1, "s", "main", 1), (2, "s", "main", 2), (3, "s", "main", 3), (4, "s", "lone", 1), (5, "s", "lone", 2),
        ]
        let path = try Self.database(Self.advancedSchema(messages: messages, structure: structure), in: store)
        let ledger = try await store.open()
        let summary = try await ledger.importSDKSQLite(at: path)
        #expect(summary.refused == [] && summary.skipped == [])
        let session = ledger.session("s")
        #expect(Self.contents(try await session.items(branch: "main")) == ["sys", "q1", "q2"])
        #expect(Self.contents(try await session.items(branch: "lone")) == ["other start", "a"])
        #expect(try await session.currentBranch() == "main")
        try await ledger.close()
    }

    @Test("a row this store cannot hold refuses the whole import, unless skipped and listed")
    func invalidRows() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let path = try Self.database(
            Self.plainTables + """
                INSERT INTO agent_sessions (session_id) VALUES ('a'), ('b'), ('');
                INSERT INTO agent_messages VALUES (1, 'a', '{"content":"ok"}'), (2, 'a', '["not an object"]'),
                    (3, 'b', '{"content":"fine"}'), (4, '', '{"content":"no id"}');
                """,
            in: store
        )
        let ledger = try await store.open()
        let refused = try await #require(throws: LedgerError.self) { try await ledger.importSDKSQLite(at: path) }
        #expect(refused.code == .invalidArgument || refused.code == .invalidItem)
        #expect(try await ledger.sessions().isEmpty)
        let summary = try await ledger.importSDKSQLite(at: path, skippingInvalid: true)
        #expect(summary.items == 2 && summary.sessions == 2)
        #expect(summary.skipped.count == 2)
        #expect(summary.skipped.contains { $0.hasPrefix("message 2 of session 'a' is not importable") })
        #expect(summary.skipped.contains { $0.hasPrefix("session '' is not importable: the session id is empty") })
        #expect(Self.contents(try await ledger.session("a").items()) == ["ok"])
        #expect(Self.contents(try await ledger.session("b").items()) == ["fine"])
        try await ledger.close()
    }

    @Test("message data stored as a BLOB is read as its bytes; invalid UTF-8 is refused, never replaced")
    func blobAndInvalidUTF8() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        // {"role":"user","content":"é"} as a BLOB; the same with a lone 0x80 byte, as a BLOB and as TEXT.
        let path = try Self.database(
            Self.plainTables + """
                INSERT INTO agent_sessions (session_id) VALUES ('a');
                INSERT INTO agent_messages VALUES
                    (1, 'a', X'7B22726F6C65223A2275736572222C22636F6E74656E74223A22C3A9227D'),
                    (2, 'a', X'7B22726F6C65223A2275736572222C22636F6E74656E74223A2280227D'),
                    (3, 'a', CAST(X'7B22726F6C65223A2275736572222C22636F6E74656E74223A2280227D' AS TEXT));
                """,
            in: store
        )
        let ledger = try await store.open()
        let refused = try await #require(throws: LedgerError.self) { try await ledger.importSDKSQLite(at: path) }
        #expect(refused.code == .invalidItem)
        #expect(refused.message.contains("message 2 of session 'a' is not importable"))
        #expect(try await ledger.sessions().isEmpty)
        let summary = try await ledger.importSDKSQLite(at: path, skippingInvalid: true)
        #expect(summary.items == 1)
        #expect(summary.skipped.filter { $0.contains("is not importable") }.count == 2)
        let items = try await ledger.session("a").items()
        #expect(items.map(\.jsonBytes) == [Array(#"{"role":"user","content":"é"}"#.utf8)])
        try await ledger.close()
    }

    @Test("a database that stores its text as UTF-16 is refused with how to convert it, nothing written")
    func utf16Database() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let path = try Self.database(
            "PRAGMA encoding = 'UTF-16le';\n" + Self.plainTables + """
                INSERT INTO agent_sessions (session_id) VALUES ('a');
                INSERT INTO agent_messages VALUES (1, 'a', '{"content":"ok"}');
                """,
            in: store
        )
        let ledger = try await store.open()
        let refused = try await #require(throws: LedgerError.self) { try await ledger.importSDKSQLite(at: path) }
        #expect(refused.code == .invalidArgument)
        #expect(refused.message.contains("stores its text as UTF-16le, not UTF-8"), "\(refused.message)")
        #expect(try await ledger.sessions().isEmpty)
        try await ledger.close()
    }

    @Test("importing into a session that exists is refused before anything is written, unless appending")
    func existingSessions() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let path = try Self.database(
            Self.plainTables + """
                INSERT INTO agent_sessions (session_id) VALUES ('new'), ('t');
                INSERT INTO agent_messages VALUES (1, 't', '{"content":"x"}'), (2, 'new', '{"content":"y"}');
                """,
            in: store
        )
        let ledger = try await store.open()
        try await ledger.session("t").addItems([ItemFactory.user("mine")])
        let clash = try await #require(throws: LedgerError.self) { try await ledger.importSDKSQLite(at: path) }
        #expect(clash.code == .conflict && clash.message.hasPrefix("session 't' already exists"))
        #expect(try await ledger.session("new").items().isEmpty)
        _ = try await ledger.importSDKSQLite(at: path, appending: true)
        #expect(Self.contents(try await ledger.session("t").items()) == ["mine", "x"])
        #expect(Self.contents(try await ledger.session("new").items()) == ["y"])
        try await ledger.close()
    }

    @Test("a file that is not an SQLite database, or a directory, gets a clear error")
    func notADatabase() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let ledger = try await store.open()
        let text = store.path + "/text.db"
        try Data("just text, not SQLite".utf8).write(to: URL(fileURLWithPath: text))
        let notSQLite = try await #require(throws: LedgerError.self) { try await ledger.importSDKSQLite(at: text) }
        #expect(notSQLite.code == .invalidArgument && notSQLite.message == "\(text) is not an SQLite database")
        let directory = try await #require(throws: LedgerError.self) {
            try await ledger.importSDKSQLite(at: store.path)
        }
        #expect(directory.code == .notFound && directory.message.contains("is a directory"))
        // A database that can be read but is not the SDK's: bad input data, as a text file is.
        let tables = try Self.database("CREATE TABLE notes (body TEXT);", in: store, named: "tables.db")
        let noTables = try await #require(throws: LedgerError.self) { try await ledger.importSDKSQLite(at: tables) }
        #expect(
            noTables.code == .invalidArgument && noTables.message.contains("has no table agent_sessions"),
            "\(noTables)"
        )
        let columns = try Self.database(
            "CREATE TABLE agent_sessions (session_id TEXT); CREATE TABLE agent_messages (id INTEGER PRIMARY KEY);",
            in: store,
            named: "columns.db"
        )
        let wrongColumns = try await #require(throws: LedgerError.self) {
            try await ledger.importSDKSQLite(at: columns)
        }
        #expect(
            wrongColumns.code == .invalidArgument && wrongColumns.message.contains("not an Agents SDK session database")
        )
        try await ledger.close()
    }

    @Test("a branch when no imported branch has a user turn (main empty or only turn 0) is imported exactly")
    func emptyMain() async throws {
        for mainRows in [0, 1] {
            let store = try TemporaryStore()
            defer { store.remove() }
            let messages = [
                (1, "s", #"{"role":"system","content":"sys"}"#),
                (2, "s", #"{"role":"assistant","content":"b-intro"}"#),
                (3, "s", #"{"role":"user","content":"b-q1"}"#),
                (4, "s", #"{"role":"assistant","content":"b-r1"}"#),
            ]
            let structure = [(1, "s", "main", 1), (2, "s", "b", 1), (3, "s", "b", 2), (4, "s", "b", 3)]
            let path = try Self.database(
                Self.advancedSchema(messages: messages, structure: Array(structure.dropFirst(1 - mainRows))),
                in: store
            )
            let ledger = try await store.open()
            let summary = try await ledger.importSDKSQLite(at: path)
            // Without main's row, "sys" is on no branch: listed, not imported.
            #expect(summary.refused == [] && summary.skipped.count == 1 - mainRows)
            #expect(mainRows == 1 || summary.skipped == ["session 's': 1 message on no branch not imported"])
            #expect(summary.items == 3 + mainRows, "each message once, not the ones main held for a moment")
            let session = ledger.session("s")
            #expect(Self.contents(try await session.items(branch: "main")) == (mainRows == 1 ? ["sys"] : []))
            #expect(Self.contents(try await session.items(branch: "b")) == ["b-intro", "b-q1", "b-r1"])
            #expect(try await session.currentBranch() == "main")
            try await ledger.close()
        }
    }

    @Test("an item over maxItemBytes refuses the import before anything is written, unless skipped")
    func oversizedItem() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let big = String(repeating: "x", count: 200)
        let messages = [
            (1, "s", #"{"role":"user","content":"q1"}"#),
            (2, "s", #"{"role":"assistant","content":"\#(big)"}"#),
            (3, "s", #"{"role":"user","content":"q2"}"#),
            (4, "s", #"{"role":"user","content":"alt-q2"}"#),
        ]
        let structure = [
            (1, "s", "main", 1), (2, "s", "main", 2), (3, "s", "main", 3), (1, "s", "alt", 1), (4, "s", "alt", 2),
        ]
        let path = try Self.database(Self.advancedSchema(messages: messages, structure: structure), in: store)
        let ledger = try await store.open { $0.maxItemBytes = 100 }
        let refused = try await #require(throws: LedgerError.self) { try await ledger.importSDKSQLite(at: path) }
        #expect(refused.code == .invalidItem && refused.message.contains("over this store's limit of 100"))
        #expect(try await ledger.sessions().isEmpty)
        let summary = try await ledger.importSDKSQLite(at: path, skippingInvalid: true)
        #expect(summary.refused == [] && summary.skipped.count == 1)
        #expect(Self.contents(try await ledger.session("s").items(branch: "main")) == ["q1", "q2"])
        #expect(Self.contents(try await ledger.session("s").items(branch: "alt")) == ["q1", "alt-q2"])
        try await ledger.close()
    }

    @Test("appending goes to main and keeps the current branch; a file with branches cannot append")
    func appendingToMain() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let plain = try Self.database(
            Self.plainTables + """
                INSERT INTO agent_sessions (session_id) VALUES ('s');
                INSERT INTO agent_messages VALUES (1, 's', '{"role":"user","content":"new"}');
                """,
            in: store
        )
        let branched = try Self.database(
            Self.advancedSchema(
                messages: [(1, "s", #"{"role":"user","content":"q"}"#), (2, "s", #"{"role":"user","content":"r"}"#)],
                structure: [(1, "s", "main", 1), (2, "s", "alt", 1)]
            ),
            in: store,
            named: "branched.db"
        )
        let ledger = try await store.open()
        let session = ledger.session("s")
        try await session.addItems([ItemFactory.user("old")])
        try await session.createBranch(fromTurn: 1, named: "mine")
        let clash = try await #require(throws: LedgerError.self) {
            try await ledger.importSDKSQLite(at: branched, appending: true)
        }
        #expect(clash.code == .conflict && clash.message.contains("has branches in the file"))
        _ = try await ledger.importSDKSQLite(at: plain, appending: true)
        #expect(Self.contents(try await session.items(branch: "main")) == ["old", "new"])
        #expect(try await session.items(branch: "mine").isEmpty)
        #expect(try await session.currentBranch() == "mine")
        try await ledger.close()
    }

    @Test("a branch that cannot be placed is listed as skipped, and its items are not counted")
    func unplacedBranch() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let messages = [
            (1, "s", #"{"role":"system","content":"sys"}"#), (2, "s", #"{"role":"assistant","content":"lone"}"#),
        ]
        let path = try Self.database(
            Self.advancedSchema(messages: messages, structure: [(1, "s", "main", 1), (2, "s", "b", 1)]),
            in: store
        )
        let ledger = try await store.open()
        let summary = try await ledger.importSDKSQLite(at: path)
        #expect(summary.items == 1, "only main's message")
        #expect(summary.skipped.count == 1 && summary.skipped[0].hasPrefix("branch 'b' of session 's' not imported"))
        #expect(Self.contents(try await ledger.session("s").items()) == ["sys"])
        try await ledger.close()
    }

    @Test("a session larger than a group commit is imported in several frames, each within the limit")
    func largeSessionInSeveralFrames() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        // 20 messages of about 1,000 bytes into group commits of at most 4,096 bytes: a frame
        // holds at most 1 GiB, so an import must not put a whole session into one.
        var sql = Self.plainTables + "INSERT INTO agent_sessions (session_id) VALUES ('big');\n"
        for id in 1...20 {
            let text = "message \(id) " + String(repeating: "x", count: 1000)
            sql += "INSERT INTO agent_messages VALUES (\(id), 'big', '{\"role\":\"user\",\"content\":\"\(text)\"}');\n"
        }
        let path = try Self.database(sql, in: store)
        let ledger = try await store.open { $0.groupCommitMaxBytes = 4096 }
        let summary = try await ledger.importSDKSQLite(at: path)
        #expect(summary.refused == [] && summary.items == 20)
        var adds: [Int] = []
        for try await event in try ledger.events() {
            if case .itemsAdded(let items) = event.payload {
                adds.append(items.count)
            }
        }
        #expect(adds.reduce(0, +) == 20 && adds.allSatisfy { $0 <= 4 }, "\(adds)")
        let contents = Self.contents(try await ledger.session("big").items())
        #expect(contents.map { $0.split(separator: " ")[1] } == (1...20).map { "\($0)" })
        try await ledger.close()
        #expect(try await Ledger.verifyLog(at: store.path).frameCount >= 5)
    }

    /// A clock one second later at every call: each group commit gets its own time, so events
    /// that share a time shared a frame.
    static func steppingClock() -> @Sendable () -> Int64 {
        let now = Mutex<Int64>(1_000_000)
        return {
            now.withLock { now in
                now += 1_000_000
                return now
            }
        }
    }

    /// An SDK database of `count` sessions named `s1`, `s2`, ..., each of three messages of
    /// about 1,000 bytes.
    static func sessionsDatabase(_ count: Int, in store: TemporaryStore) throws -> String {
        var sql = Self.plainTables
        var id = 0
        for session in 1...count {
            sql += "INSERT INTO agent_sessions (session_id) VALUES ('s\(session)');\n"
            for message in 1...3 {
                id += 1
                let text = "s\(session) m\(message) " + String(repeating: "x", count: 1000)
                sql += "INSERT INTO agent_messages VALUES (\(id), 's\(session)', '{\"content\":\"\(text)\"}');\n"
            }
        }
        return try Self.database(sql, in: store)
    }

    @Test("an import cancelled before its first group commit says that nothing was imported")
    func cancelledBeforeWriting() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let path = try Self.sessionsDatabase(2, in: store)
        let ledger = try await store.open()
        for resuming in [false, true] {
            let task = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await ledger.importSDKSQLite(at: path, resuming: resuming)
            }
            let error = try await #require(throws: LedgerError.self) { try await task.value }
            #expect(error.code == .cancelled)
            #expect(
                error.message.contains("the import was cancelled before its first group commit"),
                "resuming \(resuming): \(error.message)"
            )
        }
        #expect(try await ledger.headSequence() == 0)
        try await ledger.close()
    }

    @Test("group commits end between sessions, so an import that stops leaves whole sessions and says which")
    func wholeSessionsPerGroupCommit() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let path = try Self.sessionsDatabase(6, in: store)
        let fileSystem = FaultyFileSystem()
        let ledger = try await store.open {
            // Four messages fit in a group commit; a session holds three.
            $0.groupCommitMaxBytes = 4096
            $0.clock = Self.steppingClock()
            $0.fileSystem = fileSystem
            $0.logPreallocationBytes = 0
        }
        // The fourth group commit's frame cannot be written.
        fileSystem.failWrite(4, errno: ENOSPC, pathSuffix: ".seg")
        let error = try await #require(throws: LedgerError.self) { try await ledger.importSDKSQLite(at: path) }
        #expect(
            error.message.contains(
                "The import stopped: 3 sessions of the file, the first ones that hold items, are in the store, whole."
            ),
            "\(error.message)"
        )
        try await ledger.close()
        let reopened = try await store.open()
        var sessionsAt: [Int64: Set<String>] = [:]
        for try await event in try reopened.events() {
            sessionsAt[event.timestampMicros, default: []].insert(event.sessionID)
        }
        #expect(sessionsAt.count == 3 && sessionsAt.values.allSatisfy { $0.count == 1 }, "\(sessionsAt)")
        for session in 1...3 {
            #expect(try await reopened.session("s\(session)").items().count == 3)
        }
        #expect(try await reopened.session("s4").items().isEmpty)
        try await reopened.close()
    }

    @Test("no session's events span two group commits when the command bound falls inside a session")
    func sessionsNotSplitByTheCommandBound() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        // 350 sessions of three commands each (main's items, a branch from turn 2, back to
        // main): the 1,000-command bound of a group commit falls inside session 334.
        var messages: [(Int, String, String)] = []
        var structure: [(Int, String, String, Int)] = []
        for session in 1...350 {
            let id = "c\(session)"
            let first = messages.count + 1
            for (offset, text) in [
                #"{"role":"user","content":"q1"}"#, #"{"role":"assistant","content":"a1"}"#,
                #"{"role":"user","content":"q2"}"#,
            ].enumerated() {
                messages.append((first + offset, id, text))
                structure.append((first + offset, id, "main", offset + 1))
            }
            structure += [(first, id, "b", 1), (first + 1, id, "b", 2)]
        }
        // Too long for a command line: the shell reads it from a file.
        let sql = store.path + "/schema.sql"
        try Self.advancedSchema(messages: messages, structure: structure).write(
            toFile: sql,
            atomically: false,
            encoding: .utf8
        )
        let path = try Self.database(".read \(sql)", in: store)
        let ledger = try await store.open { $0.clock = Self.steppingClock() }
        let summary = try await ledger.importSDKSQLite(at: path)
        #expect(summary.refused == [] && summary.sessions == 350)
        var commitsOf: [String: Set<Int64>] = [:]
        for try await event in try ledger.events() {
            commitsOf[event.sessionID, default: []].insert(event.timestampMicros)
        }
        #expect(commitsOf.count == 350)
        #expect(commitsOf.filter { $0.value.count > 1 }.isEmpty, "\(commitsOf.filter { $0.value.count > 1 })")
        try await ledger.close()
    }
}
