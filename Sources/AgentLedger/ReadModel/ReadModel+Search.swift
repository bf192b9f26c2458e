import GRDB

extension ReadModel {
    /// Full-text search (SQLite FTS5 query syntax) over live items, best match first.
    static func search(
        _ db: Database,
        query: String,
        session: String?,
        branch: String?,
        limit: Int
    ) throws -> [SearchHit] {
        var sql = """
            SELECT i.session, i.branch, i.turn, i.item_seq, i.json, bm25(item_fts) AS rank
            FROM item_fts JOIN item i ON i.id = item_fts.rowid
            WHERE item_fts MATCH ? AND i.removed_seq IS NULL
            """
        var arguments: StatementArguments = [query]
        if let session {
            sql += " AND i.session = ?"
            arguments += [session]
        }
        if let branch {
            sql += " AND i.branch = ?"
            arguments += [branch]
        }
        sql += " ORDER BY rank, i.id LIMIT ?"
        arguments += [limit]
        do {
            return try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments).map { row in
                SearchHit(
                    sessionID: row[0],
                    branch: row[1],
                    turn: row[2],
                    sequence: UInt64(row[3] as Int64),
                    item: SessionItem(storedJSON: row[4]),
                    rank: row[5]
                )
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_ERROR {
            // The only statement here is a MATCH on a fixed schema: a plain SQLITE_ERROR is FTS5
            // refusing the query ("fts5: syntax error near ...", "unterminated string", ...).
            throw LedgerError(
                .invalidArgument,
                "invalid search query \"\(query)\": \(error.message ?? "\(error)"). Quote words with special "
                    + "characters (\"like this\"); see the SQLite FTS5 query syntax"
            )
        }
    }
}
