import Foundation
import GRDB

extension ReadModel {
    /// The branch a read names, or the current one at `position`; `nil` when the session did
    /// not exist then.
    static func branch(_ db: Database, session: String, named branch: String?, at position: UInt64?) throws -> String? {
        if let branch {
            return branch
        }
        return try currentBranch(db, session: session, at: position)
    }

    /// The user turns of a branch in order; with `term`, only those whose content contains it
    /// (a literal, case-insensitive substring of the content or of the text of its parts).
    static func userTurns(
        _ db: Database,
        session: String,
        branch: String?,
        at position: UInt64?,
        containing term: String? = nil
    ) throws -> [ConversationTurn] {
        guard let branch = try self.branch(db, session: session, named: branch, at: position) else {
            return []
        }
        let live = liveRows(itemSeq: "item_seq", added: "added_seq", removed: "removed_seq", at: position)
        var arguments: StatementArguments = [session, branch]
        arguments += live.arguments
        let rows = try Row.fetchCursor(
            db.cachedStatement(
                sql: """
                    SELECT turn, json, added_at, item_seq FROM item INDEXED BY item_position
                    WHERE session = ?1 AND branch = ?2 AND is_user = 1 AND \(live.sql)
                    ORDER BY item_seq, item_index
                    """
            ),
            arguments: arguments
        )
        var turns: [ConversationTurn] = []
        while let row = try rows.next() {
            let json: String = row[1]
            let facts = try SessionItem.classify(bytes: Array(json.utf8))
            if let term, !facts.userContentContains(term) {
                continue
            }
            turns.append(
                ConversationTurn(
                    turn: row[0],
                    preview: facts.preview ?? "",
                    content: facts.turnContent ?? "",
                    timestamp: Date(timeIntervalSince1970: Double(row[2] as Int64) / 1_000_000),
                    sequence: UInt64(row[3] as Int64)
                )
            )
        }
        return turns
    }

    /// Every turn's items by type and tool name, in order.
    static func conversationByTurns(
        _ db: Database,
        session: String,
        branch: String?,
        at position: UInt64?
    ) throws -> [TurnItems] {
        guard let branch = try self.branch(db, session: session, named: branch, at: position) else {
            return []
        }
        let live = liveRows(itemSeq: "item_seq", added: "added_seq", removed: "removed_seq", at: position)
        var arguments: StatementArguments = [session, branch]
        arguments += live.arguments
        let rows = try Row.fetchCursor(
            db.cachedStatement(
                sql: """
                    SELECT turn, item_type, tool_name FROM item INDEXED BY item_position
                    WHERE session = ?1 AND branch = ?2 AND \(live.sql)
                    ORDER BY item_seq, item_index
                    """
            ),
            arguments: arguments
        )
        var result: [TurnItems] = []
        var turn = -1
        var items: [TurnItems.Item] = []
        while let row = try rows.next() {
            let rowTurn: Int = row[0]
            if rowTurn != turn {
                if turn >= 0 {
                    result.append(TurnItems(turn: turn, items: items))
                }
                turn = rowTurn
                items = []
            }
            items.append(TurnItems.Item(type: row[1], toolName: row[2]))
        }
        if turn >= 0 {
            result.append(TurnItems(turn: turn, items: items))
        }
        return result
    }

    /// Tool calls per tool and turn, ordered by turn (then by the tool's first call in it); the
    /// calls without a tool name count together, under a `nil` name, as the SDK's `None`.
    static func toolUsage(_ db: Database, session: String, branch: String?, at position: UInt64?) throws -> [ToolUse] {
        guard let branch = try self.branch(db, session: session, named: branch, at: position) else {
            return []
        }
        let live = liveRows(itemSeq: "i.item_seq", added: "i.added_seq", removed: "i.removed_seq", at: position)
        let liveJ = liveRows(itemSeq: "j.item_seq", added: "j.added_seq", removed: "j.removed_seq", at: position)
        var arguments: StatementArguments = [session, branch]
        arguments += live.arguments
        arguments += liveJ.arguments
        let rows = try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT i.tool_name, count(*), i.turn FROM item i INDEXED BY item_position
                    WHERE i.session = ?1 AND i.branch = ?2 AND \(live.sql)
                      AND (i.is_tool_call = 1
                           OR (i.is_tool_call = 2 AND NOT EXISTS (
                               SELECT 1 FROM item j INDEXED BY item_position
                               WHERE j.session = i.session AND j.branch = i.branch AND j.turn = i.turn
                                 AND j.item_type = 'tool_search_call' AND \(liveJ.sql))))
                    GROUP BY i.turn, i.tool_name
                    ORDER BY i.turn, min(i.item_seq * 16777216 + i.item_index)
                    """
            ),
            arguments: arguments
        )
        return rows.map { ToolUse(toolName: $0[0] as String?, callCount: $0[1], turn: $0[2]) }
    }
}
