import GRDB
import GRDBSQLite

extension ReadModel {
    /// The sequence number a time-travel position stands for; `nil` for the current state.
    static func resolve(_ asOf: AsOf?, db: Database) throws -> UInt64? {
        switch asOf {
        case nil:
            return nil
        case .sequence(let sequence):
            return sequence
        case .date(let date):
            try EventFilter.checkDate(date, "the asOf date")
            let micros = EventFilter.micros(date)
            let sequence = try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT seq FROM event_time WHERE at <= ? ORDER BY at DESC LIMIT 1"),
                arguments: [micros]
            )
            return UInt64(sequence ?? 0)
        }
    }

    /// The SQL condition that a row with `added`/`removed` columns is live at `position`
    /// (`nil`: now), and the arguments it binds.
    static func liveCondition(
        added: String,
        removed: String,
        at position: UInt64?
    ) -> (sql: String, arguments: StatementArguments) {
        guard let position else {
            return ("\(removed) IS NULL", [])
        }
        let sequence = Int64(clamping: position)
        return ("\(added) <= ? AND (\(removed) IS NULL OR \(removed) > ?)", [sequence, sequence])
    }

    /// SQL for the sequence number of a branch's last clear (0 if never cleared), given SQL for
    /// its session and name (parameters or columns): every live row has a higher `item_seq`, so
    /// a current-state walk of `item_position` starts after it instead of at the oldest row.
    static func clearedSequence(session: String, branch: String) -> String {
        "coalesce((SELECT cleared_seq FROM branch WHERE session = \(session) AND name = \(branch)), 0)"
    }

    /// SQL that an item row (its `item_seq` column named by `itemSeq`) of a branch lies in the
    /// range of its live rows: above the last clear, at or below the last live row (so rows
    /// popped after it are not walked; -1 when the branch has none). For committed state only:
    /// inside the writer's transaction the branch's last live row may not be written yet.
    static func liveRange(itemSeq: String, session: String, branch: String) -> String {
        "\(itemSeq) > " + clearedSequence(session: session, branch: branch) + " AND \(itemSeq) <= "
            + "coalesce((SELECT last_seq FROM branch WHERE session = \(session) AND name = \(branch)), -1)"
    }

    /// The same range for queries that join the branch's row: item row alias `item`, branch row
    /// alias `branch`. NULL (no row) when the branch has no live row.
    static func liveRange(item: String, joinedBranch branch: String) -> String {
        "\(item).item_seq > \(branch).cleared_seq AND \(item).item_seq <= \(branch).last_seq"
    }

    /// The condition that an item row of the branch bound to `?1`/`?2` is live at `position`;
    /// for the current state it also keeps the walk to the branch's live range.
    static func liveRows(
        itemSeq: String,
        added: String,
        removed: String,
        at position: UInt64?
    ) -> (sql: String, arguments: StatementArguments) {
        var live = liveCondition(added: added, removed: removed, at: position)
        if position == nil {
            live.sql += " AND " + liveRange(itemSeq: itemSeq, session: "?1", branch: "?2")
        }
        return live
    }

    /// The session's current branch at `position` (`nil`: now); `nil` when the session did not
    /// exist then.
    static func currentBranch(_ db: Database, session: String, at position: UInt64?) throws -> String? {
        guard let position else {
            return try String.fetchOne(
                db.cachedStatement(sql: "SELECT current_branch FROM session WHERE id = ?"),
                arguments: [session]
            )
        }
        return try String.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT current_branch FROM session_head WHERE session = ? AND seq <= ?
                    ORDER BY seq DESC LIMIT 1
                    """
            ),
            arguments: [session, Int64(clamping: position)]
        )
    }

    /// The latest `limit` items (all when `nil`) of a branch, oldest first.
    static func items(
        _ db: Database,
        session: String,
        branch: String?,
        limit: Int?,
        asOf position: UInt64?
    ) throws -> [SessionItem] {
        guard let branch = try branch ?? currentBranch(db, session: session, at: position) else {
            return []
        }
        let live = liveRows(itemSeq: "item_seq", added: "added_seq", removed: "removed_seq", at: position)
        let sql = """
            SELECT json FROM item INDEXED BY item_position
            WHERE session = ?1 AND branch = ?2 AND \(live.sql)
            ORDER BY item_seq DESC, item_index DESC LIMIT ?
            """
        var arguments: StatementArguments = [session, branch]
        arguments += live.arguments
        arguments += [limit ?? -1]
        let statement = try db.cachedStatement(sql: sql)
        // The first row through GRDB's cursor, which checks before the statement runs that the
        // task was not cancelled (SQLite ignores GRDB's interrupt while no statement runs).
        let rows = try StoredItemColumn.fetchCursor(statement, arguments: arguments)
        guard let first = try rows.next() else {
            return []
        }
        var items = [first.item]
        // The others straight through SQLite's C API, each row's bytes copied into its item: on a
        // 10,000-item read GRDB's cursor costs 10% more (its checks at every step), and a Row and
        // a String per row more than SQLite itself. An interrupt now comes as SQLite's error,
        // which `Ledger.read` turns into `cancelled`. The cursor resets the statement when it is
        // released, so it must live until the last step.
        let handle = statement.sqliteStatement
        try withExtendedLifetime(rows) {
            try stepRest(handle, db: db, into: &items)
        }
        items.reverse()
        return items
    }

    /// Steps `handle` to its end, appending each row's item to `items`.
    private static func stepRest(_ handle: OpaquePointer, db: Database, into items: inout [SessionItem]) throws {
        while true {
            let code = sqlite3_step(handle)
            if code == SQLITE_DONE {
                break
            }
            guard code == SQLITE_ROW else {
                throw DatabaseError(
                    resultCode: ResultCode(rawValue: code),
                    message: String(cString: sqlite3_errmsg(db.sqliteConnection))
                )
            }
            items.append(StoredItemColumn(sqliteStatement: handle, index: 0).item)
        }
    }
}
