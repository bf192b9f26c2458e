import Foundation
import GRDB

/// The sessions of an OpenAI Agents SDK session database, read for an import.
///
/// A `SQLiteSession` database has `agent_sessions` and `agent_messages`; each session's items
/// are its messages in `id` order. An `AdvancedSQLiteSession` database adds `message_structure`,
/// which puts messages on branches: a branch's items are the messages it references, in
/// `sequence_number` order (what the SDK's `get_items` reads on that branch), and a branch
/// created from a turn references the same message rows as its parent before that turn.
package struct SDKDatabase {
    /// One SDK session: `main` first, then its other branches in the order they were created.
    struct Session {
        var id: String
        var branches: [Branch]
    }

    /// One branch of a session: its items with the SDK's message ids (shared with the branch it
    /// was created from).
    struct Branch {
        var name: String
        var messageIDs: [Int64]
        var items: [SessionItem]
    }

    var sessions: [Session] = []
    /// What the import leaves out, with the reason: rows or sessions that this store cannot hold
    /// (when skipping them was asked for), usage records, messages on no branch.
    var skipped: [String] = []

    /// Throws `notFound` when nothing is at `path`, or a directory is: the checks an import
    /// runs first.
    private static func checkFile(at path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw LedgerError(.notFound, "no SQLite database at \(path)")
        }
        if isDirectory.boolValue {
            throw LedgerError(.notFound, "\(path) is a directory, not an SQLite database")
        }
    }

    /// Reads the database at `path`, read-only.
    ///
    /// - Throws: `notFound` for a missing file or a directory; `invalidArgument` for a file that
    ///   is not an SQLite database, lacks the SDK's tables, or whose tables lack its columns;
    ///   `invalidItem` (or `invalidArgument` for a session id) naming the first row this store
    ///   cannot hold, unless `skippingInvalid`, which leaves such rows out and lists them in
    ///   ``skipped``.
    static func read(
        at path: String,
        sessionsTable: String,
        messagesTable: String,
        skippingInvalid: Bool,
        maxItemBytes: Int
    ) throws -> SDKDatabase {
        try checkFile(at: path)
        do {
            var configuration = Configuration()
            configuration.readonly = true
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? queue.close() }
            return try queue.read { db in
                var reader = Reader(
                    db: db,
                    sessionsTable: sessionsTable,
                    messagesTable: messagesTable,
                    skippingInvalid: skippingInvalid,
                    maxItemBytes: maxItemBytes
                )
                return try reader.read(path: path)
            }
        } catch let error as DatabaseError {
            if error.resultCode == .SQLITE_NOTADB {
                throw LedgerError(.invalidArgument, "\(path) is not an SQLite database")
            }
            if error.resultCode == .SQLITE_ERROR {
                throw LedgerError(
                    .invalidArgument,
                    "\(path) is not an Agents SDK session database: \(error.message ?? "\(error)")"
                )
            }
            throw LedgerError(.sqlite, "cannot read \(path): \(error.message ?? "\(error)")", underlying: error)
        }
    }

    /// The queries of one read, on one connection.
    private struct Reader {
        let db: Database
        let sessionsTable: String
        let messagesTable: String
        let skippingInvalid: Bool
        let maxItemBytes: Int
        var result = SDKDatabase()

        mutating func read(path: String) throws -> SDKDatabase {
            // Text is read as its stored bytes (CAST ... AS BLOB), which are UTF-8 only in a
            // UTF-8 database; the SDK's databases are (Python's sqlite3 creates them so).
            let encoding = try String.fetchOne(db, sql: "PRAGMA encoding") ?? "UTF-8"
            guard encoding == "UTF-8" else {
                throw LedgerError(
                    .invalidArgument,
                    "\(path) stores its text as \(encoding), not UTF-8 as the Agents SDK writes it; "
                        + "copy it into a UTF-8 database first: sqlite3 \(path) .dump | sqlite3 NEW.db"
                )
            }
            for table in [sessionsTable, messagesTable] where try !db.tableExists(table) {
                throw LedgerError(
                    .invalidArgument,
                    "\(path) has no table \(table): is it an Agents SDK SQLiteSession database?"
                )
            }
            let advanced = try db.tableExists("message_structure")
            // Ids as bytes: SQLite text may hold a NUL or invalid UTF-8, which a String would cut or
            // repair into another session's id.
            let ids = try Data.fetchAll(
                db,
                sql: """
                    SELECT CAST(session_id AS BLOB) FROM (
                        SELECT session_id, min(created_at) AS first FROM \(sessionsTable)
                        WHERE session_id IS NOT NULL GROUP BY session_id
                        UNION ALL
                        SELECT session_id, NULL FROM \(messagesTable) m
                        WHERE session_id IS NOT NULL
                        AND NOT EXISTS (SELECT 1 FROM \(sessionsTable) s WHERE s.session_id = m.session_id)
                        GROUP BY session_id
                    ) ORDER BY first IS NULL, first, session_id
                    """
            )
            let orphans =
                try Int.fetchOne(db, sql: "SELECT count(*) FROM \(messagesTable) WHERE session_id IS NULL") ?? 0
            if orphans > 0 {
                result.skipped.append("\(orphans) message\(orphans == 1 ? "" : "s") with no session_id not imported")
            }
            let onNoBranch = advanced ? try messagesOnNoBranch() : [:]
            for idBytes in ids {
                // Validated ids hold no NUL and are valid UTF-8: compared as text, through the
                // tables' indexes, they match exactly the rows whose bytes are these.
                guard let id = try sessionID(idBytes) else {
                    continue
                }
                let main = Branch(name: "main", messageIDs: [], items: [])
                var session = Session(id: id, branches: [])
                if advanced, let found = try branches(of: id) {
                    session.branches = found
                } else {
                    session.branches = [try messages(of: id, into: main)]
                }
                if session.branches.first?.name != "main" {
                    session.branches.insert(main, at: 0)
                }
                result.sessions.append(session)
                if advanced {
                    try noteUnimported(id, onNoBranch: onNoBranch[idBytes] ?? 0)
                }
            }
            return result
        }

        /// The session id, or nil when it is left out (skipping invalid input).
        private mutating func sessionID(_ bytes: Data) throws -> String? {
            let shown = String(decoding: bytes, as: UTF8.self)
            do {
                guard let id = String(validating: bytes, as: UTF8.self) else {
                    throw LedgerError(.invalidArgument, "the session id is not valid UTF-8")
                }
                try Validation.checkSessionID(id)
                return id
            } catch let error as LedgerError {
                let message = "session '\(shown)' is not importable: \(error.message)"
                guard skippingInvalid else {
                    throw LedgerError(.invalidArgument, message)
                }
                result.skipped.append(message)
                return nil
            }
        }

        /// Every message of a session, in id order, as one branch (a `SQLiteSession` database).
        private mutating func messages(of id: String, into branch: Branch) throws -> Branch {
            var branch = branch
            // A cursor, not every row at once: the rows would hold a second copy of the items.
            let rows = try Row.fetchCursor(
                db,
                sql: "SELECT id, CAST(message_data AS BLOB) FROM \(messagesTable) WHERE session_id = ? ORDER BY id",
                arguments: [id]
            )
            while let row = try rows.next() {
                try add(row, of: id, to: &branch)
            }
            return branch
        }

        /// The session's branches from `message_structure`, `main` first; nil when the session
        /// has no structure rows (written by a plain `SQLiteSession` into this file).
        private mutating func branches(of id: String) throws -> [Branch]? {
            // Names as bytes, as the session ids: a NUL or invalid UTF-8 would otherwise be cut
            // or repaired into a name that matches no row.
            let names = try Data.fetchAll(
                db,
                sql: """
                    SELECT CAST(branch_id AS BLOB) FROM message_structure WHERE session_id = ?
                    GROUP BY branch_id ORDER BY branch_id != 'main', min(id)
                    """,
                arguments: [id]
            )
            if names.isEmpty {
                return nil
            }
            var branches: [Branch] = []
            for nameBytes in names {
                let shown = String(decoding: nameBytes, as: UTF8.self)
                let name: String
                do {
                    guard let valid = String(validating: nameBytes, as: UTF8.self) else {
                        throw LedgerError(.invalidArgument, "the branch name is not valid UTF-8")
                    }
                    try Validation.checkBranchName(valid)
                    name = valid
                } catch let error as LedgerError {
                    let message = "branch '\(shown)' of session '\(id)' is not importable: \(error.message)"
                    guard skippingInvalid else {
                        throw LedgerError(.invalidArgument, message)
                    }
                    result.skipped.append(message)
                    continue
                }
                var branch = Branch(name: name, messageIDs: [], items: [])
                let rows = try Row.fetchCursor(
                    db,
                    sql: """
                        SELECT m.id, CAST(m.message_data AS BLOB) FROM \(messagesTable) m
                        JOIN message_structure s ON m.id = s.message_id
                        WHERE s.session_id = ? AND s.branch_id = ?
                        ORDER BY s.sequence_number, s.id
                        """,
                    arguments: [id, name]
                )
                while let row = try rows.next() {
                    try add(row, of: id, to: &branch)
                }
                branches.append(branch)
            }
            return branches
        }

        /// Appends one message row to `branch`, or leaves it out (skipping invalid input).
        private mutating func add(_ row: Row, of session: String, to branch: inout Branch) throws {
            let messageID: Int64 = row[0]
            do {
                // The stored bytes, read as a blob whatever the column's type: a BLOB value would
                // not decode as a String, and a TEXT one would have invalid UTF-8 replaced
                // silently. SessionItem checks them as `add` does.
                guard let bytes = row[1] as Data? else {
                    throw LedgerError(.invalidItem, "its message_data is NULL")
                }
                let item = try SessionItem(jsonBytes: Array(bytes))
                guard item.jsonBytes.count <= maxItemBytes else {
                    throw LedgerError(
                        .invalidItem,
                        "it is \(item.jsonBytes.count) bytes, over this store's limit of \(maxItemBytes) (maxItemBytes)"
                    )
                }
                branch.items.append(item)
                branch.messageIDs.append(messageID)
            } catch let error as LedgerError {
                let message = "message \(messageID) of session '\(session)' is not importable: \(error.message)"
                guard skippingInvalid else {
                    throw LedgerError(.invalidItem, message)
                }
                result.skipped.append(message)
            }
        }

        /// For each session (by its id's bytes) that has structure rows, how many of its messages
        /// no branch references. In one pass over the tables: `message_structure` has no index
        /// on `message_id`, so a query per session scanned it once per session (2,000 sessions
        /// took 25 s, 20,000 did not finish in 15 minutes).
        private func messagesOnNoBranch() throws -> [Data: Int] {
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT CAST(m.session_id AS BLOB), count(*) FROM \(messagesTable) m
                    WHERE m.session_id IN (SELECT session_id FROM message_structure)
                    AND m.id NOT IN (SELECT message_id FROM message_structure WHERE message_id IS NOT NULL)
                    GROUP BY m.session_id
                    """
            )
            var counts: [Data: Int] = [:]
            for row in rows {
                if let id = row[0] as Data? {
                    counts[id] = row[1]
                }
            }
            return counts
        }

        /// Lists what an `AdvancedSQLiteSession` database holds for a session that an import
        /// does not carry over: usage records, and the `orphans` messages that no branch
        /// references.
        private mutating func noteUnimported(_ id: String, onNoBranch orphans: Int) throws {
            if try db.tableExists("turn_usage") {
                let usage =
                    try Int.fetchOne(
                        db,
                        sql: "SELECT count(*) FROM turn_usage WHERE session_id = ?",
                        arguments: [id]
                    ) ?? 0
                if usage > 0 {
                    result.skipped.append(
                        "session '\(id)': \(usage) usage record\(usage == 1 ? "" : "s") (turn_usage) not imported"
                    )
                }
            }
            if orphans > 0 {
                result.skipped.append(
                    "session '\(id)': \(orphans) message\(orphans == 1 ? "" : "s") on no branch not imported"
                )
            }
        }
    }
}
