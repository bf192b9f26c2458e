import Foundation
import GRDB

extension ReadModel {
    /// The branches of a session at `position` (`nil`: now), in creation order.
    static func branches(_ db: Database, session: String, at position: UInt64?) throws -> [BranchInfo] {
        let current = try currentBranch(db, session: session, at: position)
        var itemLive = liveCondition(added: "i.added_seq", removed: "i.removed_seq", at: position)
        if position == nil {
            // Now, the branch's live rows lie above its last clear and up to its last live row.
            itemLive.sql += " AND " + liveRange(item: "i", joinedBranch: "b")
        }
        let branchLive = liveCondition(added: "b.created_seq", removed: "b.deleted_seq", at: position)
        let sql = """
            SELECT b.name, b.created_at, b.created_seq, b.parent, b.from_turn,
                   (SELECT count(*) FROM item i INDEXED BY item_position
                    WHERE i.session = b.session AND i.branch = b.name AND \(itemLive.sql)),
                   (SELECT count(*) FROM item i INDEXED BY item_position
                    WHERE i.session = b.session AND i.branch = b.name AND i.is_user = 1 AND \(itemLive.sql))
            FROM branch b
            WHERE b.session = ? AND \(branchLive.sql)
            ORDER BY b.ordinal
            """
        var arguments = itemLive.arguments
        arguments += itemLive.arguments
        arguments += [session]
        arguments += branchLive.arguments
        return try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments).map { row in
            let name: String = row[0]
            return BranchInfo(
                name: name,
                itemCount: row[5],
                userTurnCount: row[6],
                isCurrent: current.map(name.isSameName(as:)) == true,
                createdAt: Date(timeIntervalSince1970: Double(row[1] as Int64) / 1_000_000),
                createdSequence: UInt64(row[2] as Int64),
                parent: row[3],
                fromTurn: row[4]
            )
        }
    }
}
