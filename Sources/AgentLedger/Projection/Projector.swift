import Foundation
import GRDB

/// Applies events to the read model: the only code that writes its rows.
///
/// Projection is deterministic: the same events give the same rows, whether they arrive from
/// the writer right after a group commit or from a replay of the log (catch-up, rebuild).
/// Every statement is cached on the one writer connection.
enum Projector {
    /// Applies one event inside the caller's transaction.
    static func apply(_ event: LedgerEvent, to db: Database) throws {
        let session = event.sessionID
        let seq = Int64(bitPattern: event.sequence)
        switch event.payload {
        case .itemsAdded(let items):
            try ensureSession(session, seq: seq, at: event.timestampMicros, db: db)
            try addItems(items, event: event, db: db)
        case .itemPopped(_, let itemSequence, let itemIndex):
            try popItem(
                session: session,
                branch: event.branch,
                itemSequence: Int64(bitPattern: itemSequence),
                itemIndex: itemIndex,
                seq: seq,
                db: db
            )
        case .sessionCleared:
            try clearSession(session, seq: seq, db: db)
        case .branchCreated(let source, let fromTurn):
            try createBranch(event.branch, from: source, turn: fromTurn, event: event, db: db)
        case .branchSwitched:
            try setCurrentBranch(session, to: event.branch, seq: seq, db: db)
        case .branchDeleted(let switchedToMain):
            try deleteBranch(session, branch: event.branch, switchedToMain: switchedToMain, seq: seq, db: db)
        case .usageRecorded(let turn, let usage):
            try recordUsage(usage, turn: turn, event: event, db: db)
        }
        try db.cachedStatement(sql: "UPDATE session SET last_seq = ?, last_at = ? WHERE id = ?")
            .execute(arguments: [seq, event.timestampMicros, session])
        try db.cachedStatement(
            sql: "INSERT INTO event_time (at, seq) VALUES (?, ?) ON CONFLICT (at) DO UPDATE SET seq = excluded.seq"
        ).execute(arguments: [event.timestampMicros, seq])
    }

    /// Records that every event up to `sequence` is applied, in the same transaction.
    static func setCheckpoint(_ sequence: UInt64, db: Database) throws {
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO ledger_meta (key, value) VALUES ('last_applied_seq', ?)")
            .execute(arguments: [Int64(bitPattern: sequence)])
    }

    /// The last sequence number applied to this read model (0 when none).
    static func checkpoint(_ db: Database) throws -> UInt64 {
        let value = try Int64.fetchOne(db, sql: "SELECT value FROM ledger_meta WHERE key = 'last_applied_seq'")
        return UInt64(value ?? 0)
    }

    private static func ensureSession(_ session: String, seq: Int64, at time: Int64, db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT OR IGNORE INTO session (id, current_branch, created_seq, created_at, last_seq, last_at)
                VALUES (?, 'main', ?, ?, ?, ?)
                """
        ).execute(arguments: [session, seq, time, seq, time])
        guard db.changesCount > 0 else {
            return
        }
        try db.cachedStatement(
            sql: """
                INSERT INTO branch (session, name, ordinal, created_seq, created_at) VALUES (?, 'main', 0, ?, ?)
                """
        ).execute(arguments: [session, seq, time])
        try db.cachedStatement(sql: "INSERT INTO session_head (session, seq, current_branch) VALUES (?, ?, 'main')")
            .execute(arguments: [session, seq])
    }

    private static func addItems(_ items: [SessionItem], event: LedgerEvent, db: Database) throws {
        let seq = Int64(bitPattern: event.sequence)
        var turn = try turnCount(session: event.sessionID, branch: event.branch, db: db)
        let insert = try db.cachedStatement(
            sql: """
                INSERT INTO item (session, branch, item_seq, item_index, turn, is_user, item_type, tool_name,
                                  is_tool_call, added_seq, added_at, json)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        )
        let index = try db.cachedStatement(sql: "INSERT INTO item_fts (rowid, text) VALUES (?, ?)")
        for (position, item) in items.enumerated() {
            let facts = item.facts
            if facts.isUser {
                turn += 1
            }
            try insert.execute(arguments: [
                event.sessionID, event.branch, seq, position, turn, facts.isUser, facts.itemType,
                facts.toolName, toolCallFlag(facts), seq, event.timestampMicros, item.json,
            ])
            try index.execute(arguments: [db.lastInsertedRowID, Self.indexable(facts.searchText)])
        }
        try setTurnCount(turn, session: event.sessionID, branch: event.branch, db: db)
    }

    /// SQLite text ends at a NUL, so a NUL in content (a "\u0000" escape) would cut the indexed
    /// text short: index it as a space instead.
    static func indexable(_ text: String) -> String {
        text.utf8.contains(0) ? text.replacingOccurrences(of: "\u{0}", with: " ") : text
    }

    private static func toolCallFlag(_ facts: ItemFacts) -> Int {
        facts.isToolCall ? 1 : (facts.isToolSearchOutput ? 2 : 0)
    }

    private static func turnCount(session: String, branch: String, db: Database) throws -> Int {
        guard
            let count = try Int.fetchOne(
                db.cachedStatement(sql: "SELECT turn_count FROM branch WHERE session = ? AND name = ?"),
                arguments: [session, branch]
            )
        else {
            throw LedgerError(
                .corruptLog,
                "the log names branch '\(branch)' of session '\(session)' before creating it"
            )
        }
        return count
    }

    private static func setTurnCount(_ count: Int, session: String, branch: String, db: Database) throws {
        try db.cachedStatement(sql: "UPDATE branch SET turn_count = ? WHERE session = ? AND name = ?")
            .execute(arguments: [count, session, branch])
    }

    private static func popItem(
        session: String,
        branch: String,
        itemSequence: Int64,
        itemIndex: Int,
        seq: Int64,
        db: Database
    ) throws {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        UPDATE item SET removed_seq = ?
                        WHERE session = ? AND branch = ? AND item_seq = ? AND item_index = ? AND removed_seq IS NULL
                        RETURNING turn, is_user
                        """
                ),
                arguments: [seq, session, branch, itemSequence, itemIndex]
            )
        else {
            throw LedgerError(
                .corruptLog,
                "event \(seq) pops item \(itemSequence)/\(itemIndex) of '\(session)'/'\(branch)', which is not there"
            )
        }
        let turn: Int = row[0]
        let wasUser: Bool = row[1]
        if wasUser {
            try setTurnCount(turn - 1, session: session, branch: branch, db: db)
        }
        let remaining = try Int.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT count(*) FROM item
                    WHERE session = ? AND branch = ? AND turn = ? AND removed_seq IS NULL
                    """
            ),
            arguments: [session, branch, turn]
        )
        if remaining == 0 {
            try db.cachedStatement(
                sql: """
                    UPDATE usage SET removed_seq = ?
                    WHERE session = ? AND branch = ? AND turn = ? AND removed_seq IS NULL
                    """
            ).execute(arguments: [seq, session, branch, turn])
        }
    }

    private static func clearSession(_ session: String, seq: Int64, db: Database) throws {
        let arguments: StatementArguments = [seq, session]
        try db.cachedStatement(sql: "UPDATE item SET removed_seq = ? WHERE session = ? AND removed_seq IS NULL")
            .execute(arguments: arguments)
        try db.cachedStatement(sql: "UPDATE usage SET removed_seq = ? WHERE session = ? AND removed_seq IS NULL")
            .execute(arguments: arguments)
        try db.cachedStatement(
            sql: "UPDATE branch SET deleted_seq = ? WHERE session = ? AND name <> 'main' AND deleted_seq IS NULL"
        ).execute(arguments: arguments)
        try db.cachedStatement(sql: "UPDATE branch SET turn_count = 0 WHERE session = ?")
            .execute(arguments: [session])
        try setCurrentBranch(session, to: "main", seq: seq, db: db)
    }

    private static func createBranch(
        _ name: String,
        from source: String,
        turn: Int,
        event: LedgerEvent,
        db: Database
    ) throws {
        let session = event.sessionID
        let seq = Int64(bitPattern: event.sequence)
        try db.cachedStatement(
            sql: """
                INSERT INTO branch (session, name, ordinal, parent, from_turn, created_seq, created_at, turn_count)
                VALUES (?, ?, (SELECT coalesce(max(ordinal), -1) + 1 FROM branch WHERE session = ?), ?, ?, ?, ?, 0)
                """
        ).execute(arguments: [session, name, session, source, turn, seq, event.timestampMicros])
        try db.cachedStatement(
            sql: """
                INSERT INTO item (session, branch, item_seq, item_index, turn, is_user, item_type, tool_name,
                                  is_tool_call, added_seq, added_at, json)
                SELECT session, ?, item_seq, item_index, turn, is_user, item_type, tool_name,
                       is_tool_call, ?, added_at, json
                FROM item
                WHERE session = ? AND branch = ? AND removed_seq IS NULL AND turn < ?
                ORDER BY item_seq, item_index
                """
        ).execute(arguments: [name, seq, session, source, turn])
        let copied = try Row.fetchAll(
            db.cachedStatement(
                sql: "SELECT id, json, is_user FROM item WHERE session = ? AND branch = ? AND added_seq = ?"
            ),
            arguments: [session, name, seq]
        )
        let index = try db.cachedStatement(sql: "INSERT INTO item_fts (rowid, text) VALUES (?, ?)")
        var userTurns = 0
        for row in copied {
            let json: String = row[1]
            let facts = try SessionItem.classify(bytes: Array(json.utf8))
            try index.execute(arguments: [row[0] as Int64, Self.indexable(facts.searchText)])
            if row[2] as Bool {
                userTurns += 1
            }
        }
        try setTurnCount(userTurns, session: session, branch: name, db: db)
        try setCurrentBranch(session, to: name, seq: seq, db: db)
    }

    private static func setCurrentBranch(_ session: String, to branch: String, seq: Int64, db: Database) throws {
        try db.cachedStatement(sql: "UPDATE session SET current_branch = ? WHERE id = ?")
            .execute(arguments: [branch, session])
        try db.cachedStatement(
            sql: "INSERT OR REPLACE INTO session_head (session, seq, current_branch) VALUES (?, ?, ?)"
        )
        .execute(arguments: [session, seq, branch])
    }

    private static func deleteBranch(
        _ session: String,
        branch: String,
        switchedToMain: Bool,
        seq: Int64,
        db: Database
    ) throws {
        let arguments: StatementArguments = [seq, session, branch]
        try db.cachedStatement(sql: "UPDATE branch SET deleted_seq = ? WHERE session = ? AND name = ?")
            .execute(arguments: arguments)
        try db.cachedStatement(
            sql: "UPDATE item SET removed_seq = ? WHERE session = ? AND branch = ? AND removed_seq IS NULL"
        ).execute(arguments: arguments)
        try db.cachedStatement(
            sql: "UPDATE usage SET removed_seq = ? WHERE session = ? AND branch = ? AND removed_seq IS NULL"
        ).execute(arguments: arguments)
        if switchedToMain {
            try setCurrentBranch(session, to: "main", seq: seq, db: db)
        }
    }

    private static func recordUsage(_ usage: RunUsage, turn: Int, event: LedgerEvent, db: Database) throws {
        let seq = Int64(bitPattern: event.sequence)
        try db.cachedStatement(
            sql: """
                UPDATE usage SET removed_seq = ?
                WHERE session = ? AND branch = ? AND turn = ? AND removed_seq IS NULL
                """
        ).execute(arguments: [seq, event.sessionID, event.branch, turn])
        try db.cachedStatement(
            sql: """
                INSERT INTO usage (session, branch, turn, requests, input_tokens, output_tokens, total_tokens,
                                   details, recorded_seq, recorded_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            event.sessionID, event.branch, turn, usage.requests, usage.inputTokens, usage.outputTokens,
            usage.totalTokens, usage.detailsJSON, seq, event.timestampMicros,
        ])
    }
}
