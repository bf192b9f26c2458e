import GRDB

/// Keeps the full-text index (`item_fts`) up to date with the item rows, off the write path.
///
/// FTS5 writes a new index segment per transaction, which made every small group commit pay
/// for index pages. Instead the writer indexes new rows in bulk when it has nothing else to do,
/// and completely before any search on the store, so a search still sees every acknowledged
/// item. `ledger_meta.fts_indexed_through` holds the highest item id indexed.
enum SearchIndexer {
    /// Indexes up to `limit` item rows not yet indexed, in the caller's transaction.
    /// Returns whether rows remain unindexed.
    @discardableResult
    static func indexPending(_ db: Database, statements: ProjectionStatements, limit: Int = .max) throws -> Bool {
        let watermark =
            try Int64.fetchOne(db, sql: "SELECT value FROM ledger_meta WHERE key = 'fts_indexed_through'") ?? 0
        let rows = try Row.fetchCursor(
            db.cachedStatement(sql: "SELECT id, json FROM item WHERE id > ? ORDER BY id LIMIT ?"),
            arguments: [watermark, limit == .max ? -1 : limit]
        )
        var last = watermark
        var count = 0
        let index = statements.indexItem
        while let row = try rows.next() {
            let id: Int64 = row[0]
            let json: String = row[1]
            let facts = try SessionItem.classify(bytes: Array(json.utf8))
            index.bind(1, id)
            index.bind(2, Projector.indexable(facts.searchText))
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
}
