import Foundation
import GRDB

extension ReadModel {
    /// Every session with its item count on the current branch, most recently active first.
    static func sessions(_ db: Database) throws -> [SessionSummary] {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT s.id, s.current_branch, s.created_seq, s.last_seq, s.last_at,
                       (SELECT count(*) FROM item i INDEXED BY item_position
                        WHERE i.session = s.id AND i.branch = s.current_branch
                          AND \(liveRange(item: "i", joinedBranch: "b")) AND i.removed_seq IS NULL)
                FROM session s JOIN branch b ON b.session = s.id AND b.name = s.current_branch
                ORDER BY s.last_seq DESC
                """
        )
        return rows.map { row in
            SessionSummary(
                sessionID: row[0],
                itemCount: row[5],
                currentBranch: row[1],
                firstSequence: UInt64(row[2] as Int64),
                lastSequence: UInt64(row[3] as Int64),
                lastActivity: Date(timeIntervalSince1970: Double(row[4] as Int64) / 1_000_000)
            )
        }
    }

    /// Counts for ``Ledger/stats()`` (the file sizes are added by the caller).
    static func counts(_ db: Database) throws -> (sessions: Int, live: Int, rows: Int, head: UInt64) {
        let sessions = try Int.fetchOne(db, sql: "SELECT count(*) FROM session") ?? 0
        // CROSS JOIN keeps this loop order (sessions, then each one's live range); left to
        // itself the planner scans the whole item index.
        let live =
            try Int.fetchOne(
                db,
                sql: """
                    SELECT count(*) FROM session s
                    CROSS JOIN branch b ON b.session = s.id AND b.name = s.current_branch
                    CROSS JOIN item i INDEXED BY item_position
                    ON i.session = s.id AND i.branch = s.current_branch
                       AND \(liveRange(item: "i", joinedBranch: "b")) AND i.removed_seq IS NULL
                    """
            ) ?? 0
        let rows = try Int.fetchOne(db, sql: "SELECT count(*) FROM item") ?? 0
        return (sessions, live, rows, try Projector.checkpoint(db))
    }
}
