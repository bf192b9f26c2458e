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
            SELECT i.session, i.branch, i.turn, i.item_seq, i.json, bm25(item_fts, 1.0, 0.0) AS rank
            FROM item_fts JOIN item i ON i.id = item_fts.rowid
            WHERE item_fts MATCH ? AND i.removed_seq IS NULL
            """
        // The user's expression applies to the text only; within a session, FTS5 intersects
        // it with the session's scope token rather than matching the whole store. The session
        // is still compared below: tokens may collide, and the expression is the user's.
        // A parenthesis of the user's closing ours would let the rest match every column.
        guard parenthesesPair(query) else {
            throw LedgerError(
                .invalidArgument,
                "invalid search query \"\(query)\": its parentheses do not pair up. Quote words with special "
                    + "characters (\"like this\"); see the SQLite FTS5 query syntax"
            )
        }
        var match = "text : (" + query + ")"
        if let session {
            match = "scope : " + SearchIndexer.scopeToken(session) + " AND " + match
        }
        var arguments: StatementArguments = [match]
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
            var reason = error.message ?? "\(error)"
            if reason == #"fts5: syntax error near ")""#, !query.contains(")") {
                // The parenthesis is the one that closes ours around the query: the query ended
                // where FTS5 expected more ("a NOT", "a AND").
                reason = "fts5: syntax error at the end of the query (an operator with nothing after it?)"
            }
            throw LedgerError(
                .invalidArgument,
                "invalid search query \"\(query)\": \(reason). Quote words with special "
                    + "characters (\"like this\"); see the SQLite FTS5 query syntax"
            )
        }
    }

    /// Whether every parenthesis of `query` outside its double-quoted strings closes one opened
    /// before it, and every one opened is closed (a `""` inside a string is a quote character).
    static func parenthesesPair(_ query: String) -> Bool {
        var depth = 0
        var quoted = false
        for character in query.unicodeScalars {
            switch character {
            case "\"": quoted.toggle()
            case "(" where !quoted: depth += 1
            case ")" where !quoted:
                depth -= 1
                if depth < 0 {
                    return false
                }
            default: break
            }
        }
        return depth == 0
    }
}
