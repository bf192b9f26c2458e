import GRDB

/// Keeps the full-text index (`item_fts`) up to date with the item rows, off the write path.
///
/// FTS5 writes a new index segment per transaction, which made every small group commit pay
/// for index pages. Instead the writer indexes new rows in bulk when it has nothing else to do,
/// and completely before any search on the store, so a search still sees every acknowledged
/// item. `ledger_meta.fts_indexed_through` holds the highest item id indexed.
enum SearchIndexer {
    /// Indexes up to `limit` item rows not yet indexed, those up to id `through` only, in the
    /// caller's transaction. Returns whether rows (up to `through`) may remain unindexed.
    @discardableResult
    static func indexPending(
        _ db: Database,
        statements: ProjectionStatements,
        limit: Int = .max,
        through last: Int64 = .max
    ) throws -> Bool {
        let watermark =
            try Int64.fetchOne(db, sql: "SELECT value FROM ledger_meta WHERE key = 'fts_indexed_through'") ?? 0
        let rows = try Row.fetchCursor(
            db.cachedStatement(sql: "SELECT id, json, session FROM item WHERE id > ? AND id <= ? ORDER BY id LIMIT ?"),
            arguments: [watermark, last, limit == .max ? -1 : limit]
        )
        var last = watermark
        var count = 0
        let index = statements.indexItem
        while let row = try rows.next() {
            let id: Int64 = row[0]
            let json: String = row[1]
            let session: String = row[2]
            let facts = try SessionItem.classify(bytes: Array(json.utf8))
            index.bind(1, id)
            index.bind(2, Projector.indexable(facts.searchText))
            index.bind(3, scopeToken(session))
            try index.run()
            last = id
            count += 1
        }
        if last > watermark {
            try db.cachedStatement(
                sql: "INSERT OR REPLACE INTO ledger_meta (key, value) VALUES ('fts_indexed_through', ?)"
            ).execute(arguments: [last])
        }
        return limit != .max && count == limit
    }

    /// The token that stands for `session` in the index's `scope` column: `s` and 16 hex digits
    /// of the 64-bit FNV-1a hash of its UTF-8 bytes (one token for FTS5's tokenizer, the same
    /// in every process). Two sessions may share one; searches still compare the session itself.
    static func scopeToken(_ session: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in session.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        return "s" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}
