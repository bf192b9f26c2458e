import Foundation
import GRDB

extension ReadModel {
    /// Usage summed over every branch (`branch == nil`) or one; `nil` when none was recorded.
    static func usageTotals(
        _ db: Database,
        session: String,
        branch: String?,
        at position: UInt64?
    ) throws -> UsageTotals? {
        let live = liveCondition(added: "recorded_seq", removed: "removed_seq", at: position)
        var sql = """
            SELECT count(*), sum(requests), sum(input_tokens), sum(output_tokens), sum(total_tokens)
            FROM usage WHERE session = ? AND \(live.sql)
            """
        var arguments: StatementArguments = [session]
        arguments += live.arguments
        if let branch {
            sql += " AND branch = ?"
            arguments += [branch]
        }
        guard let row = try Row.fetchOne(db.cachedStatement(sql: sql), arguments: arguments),
            (row[0] as Int) > 0
        else {
            return nil
        }
        return UsageTotals(
            requests: row[1],
            inputTokens: row[2],
            outputTokens: row[3],
            totalTokens: row[4],
            turnCount: row[0]
        )
    }

    /// The usage of one turn, or of every turn, of a branch (default: the current one).
    static func turnUsage(
        _ db: Database,
        session: String,
        turn: Int?,
        branch: String?,
        at position: UInt64?
    ) throws -> [TurnUsage] {
        guard let branch = try self.branch(db, session: session, named: branch, at: position) else {
            return []
        }
        let live = liveCondition(added: "recorded_seq", removed: "removed_seq", at: position)
        var sql = """
            SELECT turn, requests, input_tokens, output_tokens, total_tokens, details, recorded_at, recorded_seq
            FROM usage WHERE session = ? AND branch = ? AND \(live.sql)
            """
        var arguments: StatementArguments = [session, branch]
        arguments += live.arguments
        if let turn {
            sql += " AND turn = ?"
            arguments += [turn]
        }
        sql += " ORDER BY turn"
        return try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments).map { row in
            TurnUsage(
                branch: branch,
                turn: row[0],
                usage: RunUsage(
                    requests: row[1],
                    inputTokens: row[2],
                    outputTokens: row[3],
                    totalTokens: row[4],
                    detailsJSON: row[5]
                ),
                recordedAt: Date(timeIntervalSince1970: Double(row[6] as Int64) / 1_000_000),
                sequence: UInt64(row[7] as Int64)
            )
        }
    }
}
