import Foundation
import GRDB

/// Applies events to the read model: the only code that writes its rows.
///
/// Projection is deterministic: the same events give the same rows, whether they arrive from
/// the writer right after a group commit or from a replay of the log (catch-up, rebuild).
/// The state touched by nearly every event lives in a ``ProjectionContext`` for the length of
/// one transaction; call ``ProjectionContext/flush()`` before committing.
enum Projector {
    /// Applies one event inside the context's transaction.
    static func apply(_ event: LedgerEvent, in context: ProjectionContext) throws {
        let session = event.sessionID
        let seq = Int64(bitPattern: event.sequence)
        let db = context.db
        switch event.payload {
        case .itemsAdded(let items):
            try context.ensureSession(session, sequence: seq, time: event.timestampMicros)
            try addItems(items, event: event, context: context)
        case .itemPopped(_, let itemSequence, let itemIndex):
            try popItem(
                session: session,
                branch: event.branch,
                itemSequence: Int64(bitPattern: itemSequence),
                itemIndex: itemIndex,
                seq: seq,
                context: context
            )
        case .sessionCleared:
            let arguments: StatementArguments = [seq, session]
            let branches = try Row.fetchAll(
                db.cachedStatement(
                    sql: "SELECT name, cleared_seq FROM branch WHERE session = ? AND deleted_seq IS NULL"
                ),
                arguments: [session]
            )
            for branch in branches {
                try removeLiveItems(session: session, branch: branch[0], after: branch[1], seq: seq, db: db)
            }
            try db.cachedStatement(sql: "UPDATE usage SET removed_seq = ? WHERE session = ? AND removed_seq IS NULL")
                .execute(arguments: arguments)
            try db.cachedStatement(
                sql: "UPDATE branch SET deleted_seq = ? WHERE session = ? AND name <> 'main' AND deleted_seq IS NULL"
            ).execute(arguments: arguments)
            try context.resetBranches(session)
            try context.setCurrentBranch(session, to: "main", sequence: seq)
        case .branchCreated(let source, let fromTurn):
            try createBranch(event.branch, from: source, turn: fromTurn, event: event, context: context)
        case .branchSwitched:
            try context.setCurrentBranch(session, to: event.branch, sequence: seq)
        case .branchDeleted(let switchedToMain):
            let arguments: StatementArguments = [seq, session, event.branch]
            let floor =
                try Int64.fetchOne(
                    db.cachedStatement(sql: "SELECT cleared_seq FROM branch WHERE session = ? AND name = ?"),
                    arguments: [session, event.branch]
                ) ?? 0
            try removeLiveItems(session: session, branch: event.branch, after: floor, seq: seq, db: db)
            let turns = try context.turnCount(session, branch: event.branch) ?? 0
            context.setBranch(session, event.branch, turns: turns, last: nil)
            try db.cachedStatement(sql: "UPDATE branch SET deleted_seq = ? WHERE session = ? AND name = ?")
                .execute(arguments: arguments)
            try db.cachedStatement(
                sql: "UPDATE usage SET removed_seq = ? WHERE session = ? AND branch = ? AND removed_seq IS NULL"
            ).execute(arguments: arguments)
            if switchedToMain {
                try context.setCurrentBranch(session, to: "main", sequence: seq)
            }
        case .usageRecorded(let turn, let usage):
            try recordUsage(usage, turn: turn, event: event, db: db)
        }
        try context.touch(session, sequence: seq, time: event.timestampMicros)
    }

    /// Records that every event up to `sequence` is applied, in the same transaction. An upsert,
    /// not `INSERT OR REPLACE`: the replace deletes the row and inserts it again under a new
    /// rowid, which also rewrites the page of the table's key index in every group commit.
    static func setCheckpoint(_ sequence: UInt64, db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO ledger_meta (key, value) VALUES ('last_applied_seq', ?)
                ON CONFLICT (key) DO UPDATE SET value = excluded.value
                """
        )
        .execute(arguments: [Int64(bitPattern: sequence)])
    }

    /// The last sequence number applied to this read model (0 when none).
    static func checkpoint(_ db: Database) throws -> UInt64 {
        let value = try Int64.fetchOne(db, sql: "SELECT value FROM ledger_meta WHERE key = 'last_applied_seq'")
        return UInt64(value ?? 0)
    }

    /// SQLite text handed to FTS ends at a NUL, so a NUL in content (a "\u0000" escape) would cut
    /// the indexed text short: index it as a space instead.
    static func indexable(_ text: String) -> String {
        text.utf8.contains(0) ? text.replacingOccurrences(of: "\u{0}", with: " ") : text
    }

    /// Marks every live row of a branch removed by event `seq`, walking only the rows added
    /// after `floor` (its last clear), and makes `seq` its new floor.
    private static func removeLiveItems(
        session: String,
        branch: String,
        after floor: Int64,
        seq: Int64,
        db: Database
    ) throws {
        try db.cachedStatement(
            sql: """
                UPDATE item SET removed_seq = ?
                WHERE session = ? AND branch = ? AND item_seq > ? AND removed_seq IS NULL
                """
        ).execute(arguments: [seq, session, branch, floor])
        try db.cachedStatement(sql: "UPDATE branch SET cleared_seq = ? WHERE session = ? AND name = ?")
            .execute(arguments: [seq, session, branch])
    }

    private static func addItems(_ items: [SessionItem], event: LedgerEvent, context: ProjectionContext) throws {
        let seq = Int64(bitPattern: event.sequence)
        guard var turn = try context.turnCount(event.sessionID, branch: event.branch) else {
            throw LedgerError(
                .corruptLog,
                "event \(seq) adds items to branch '\(event.branch)' of session '\(event.sessionID)' before creating it"
            )
        }
        var last = try context.lastLiveItem(event.sessionID, branch: event.branch)
        let insert = context.statements.insertItem
        insert.bind(1, event.sessionID)
        insert.bind(2, event.branch)
        insert.bind(3, seq)
        insert.bind(10, event.timestampMicros)
        for (position, item) in items.enumerated() {
            let facts = item.classification
            if facts.isUser {
                turn += 1
            }
            insert.bind(4, position)
            insert.bind(5, turn)
            insert.bind(6, facts.isUser)
            insert.bind(7, facts.itemType)
            insert.bind(8, facts.toolName)
            insert.bind(9, facts.isToolCall ? 1 : (facts.isToolSearchOutput ? 2 : 0))
            insert.bindText(11, item.jsonBytes)
            insert.bind(12, last?.sequence)
            insert.bind(13, last.map { Int64($0.index) })
            try insert.run()
            last = ProjectionContext.ItemPosition(sequence: seq, index: position)
        }
        context.setBranch(event.sessionID, event.branch, turns: turn, last: last)
    }

    private static func popItem(
        session: String,
        branch: String,
        itemSequence: Int64,
        itemIndex: Int,
        seq: Int64,
        context: ProjectionContext
    ) throws {
        let db = context.db
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        UPDATE item SET removed_seq = ?
                        WHERE session = ? AND branch = ? AND item_seq = ? AND item_index = ? AND removed_seq IS NULL
                        RETURNING turn, is_user, prev_seq, prev_index
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
        let turns = row[1] as Bool ? turn - 1 : try context.turnCount(session, branch: branch) ?? 0
        // A pop removes the branch's last live row, so the row that was live before it when it
        // was added is live still, and is now the last.
        let previous = ProjectionContext.ItemPosition(row[2], row[3])
        context.setBranch(session, branch, turns: turns, last: previous)
        // Turns only grow along a branch's live rows: the popped row's turn keeps live rows
        // exactly when the row now last belongs to it.
        let previousTurn = try previous.flatMap { previous in
            try Int.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT turn FROM item INDEXED BY item_position
                        WHERE session = ? AND branch = ? AND item_seq = ? AND item_index = ?
                        """
                ),
                arguments: [session, branch, previous.sequence, previous.index]
            )
        }
        if previousTurn != turn {
            try db.cachedStatement(
                sql: """
                    UPDATE usage SET removed_seq = ?
                    WHERE session = ? AND branch = ? AND turn = ? AND removed_seq IS NULL
                    """
            ).execute(arguments: [seq, session, branch, turn])
        }
    }

    private static func createBranch(
        _ name: String,
        from source: String,
        turn: Int,
        event: LedgerEvent,
        context: ProjectionContext
    ) throws {
        let db = context.db
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
                                  is_tool_call, added_seq, added_at, json, prev_seq, prev_index)
                SELECT session, ?, item_seq, item_index, turn, is_user, item_type, tool_name,
                       is_tool_call, ?, added_at, json, lag(item_seq) OVER copied, lag(item_index) OVER copied
                FROM item
                WHERE session = ?3 AND branch = ?4 AND removed_seq IS NULL AND turn < ?5
                  AND item_seq > \(ReadModel.clearedSequence(session: "?3", branch: "?4"))
                WINDOW copied AS (ORDER BY item_seq, item_index)
                ORDER BY item_seq, item_index
                """
        ).execute(arguments: [name, seq, session, source, turn])
        let last = try Row.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT item_seq, item_index FROM item INDEXED BY item_position
                    WHERE session = ? AND branch = ? ORDER BY item_seq DESC, item_index DESC LIMIT 1
                    """
            ),
            arguments: [session, name]
        ).map { ProjectionContext.ItemPosition(sequence: $0[0], index: $0[1]) }
        let userTurns =
            try Int.fetchOne(
                db.cachedStatement(
                    sql: "SELECT count(*) FROM item WHERE session = ? AND branch = ? AND added_seq = ? AND is_user = 1"
                ),
                arguments: [session, name, seq]
            ) ?? 0
        context.setBranch(session, name, turns: userTurns, last: last)
        try context.setCurrentBranch(session, to: name, sequence: seq)
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
