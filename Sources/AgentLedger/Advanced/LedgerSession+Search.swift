extension LedgerSession {
    /// Full-text search over the session's items (every branch, or one), best match first.
    ///
    /// `query` uses SQLite FTS5 syntax: words, `"exact phrases"`, `prefix*`, `AND`/`OR`/`NOT`.
    /// - Throws: `invalidArgument` for an empty or blank query, a query FTS5 cannot parse, or a
    ///   limit below 1; `cancelled` when the calling task is cancelled, also while the search
    ///   waits for the writer to index new items.
    public func search(_ query: String, limit: Int = 20, branch: String? = nil) async throws -> [SearchHit] {
        try ledger.checkOpen()
        try Validation.checkSearchQuery(query)
        guard limit > 0 else {
            throw LedgerError(.invalidArgument, "the search limit must be 1 or more, not \(limit)")
        }
        let sessionID = sessionID
        try await ledger.catchUpSearchIndex()
        return try await read(branch: branch, asOf: nil) { db in
            try ReadModel.search(db, query: query, session: sessionID, branch: branch, limit: limit)
        }
    }
}

extension Ledger {
    /// Indexes every acknowledged item for search. A store opened read-only searches what its
    /// writer has indexed so far (the writer indexes whenever it is idle).
    ///
    /// - Throws: `cancelled` when the calling task is cancelled while it waits for the writer
    ///   (which may be in the middle of a long fsync).
    func catchUpSearchIndex() async throws {
        try checkOpen()
        do {
            try await writer?.catchUpSearchIndex()
        } catch is CancellationError {
            throw LedgerError(.cancelled, "the query's task was cancelled")
        }
    }

    /// Full-text search across every session of the store, best match first (see
    /// ``LedgerSession/search(_:limit:branch:)`` for the query syntax and what it throws).
    public func search(_ query: String, limit: Int = 20) async throws -> [SearchHit] {
        try checkOpen()
        try Validation.checkSearchQuery(query)
        guard limit > 0 else {
            throw LedgerError(.invalidArgument, "the search limit must be 1 or more, not \(limit)")
        }
        try await catchUpSearchIndex()
        return try await read { db in
            try ReadModel.search(db, query: query, session: nil, branch: nil, limit: limit)
        }
    }
}
