import GRDB

/// A session stored in a ``Ledger``: the ``Session`` protocol plus branches, turns, usage,
/// search and time travel.
///
/// Handles are values that hold no resources; two handles on the same id see the same state,
/// including the current branch.
public struct LedgerSession: Session {
    /// The session's id.
    public let sessionID: String
    /// Per-session defaults.
    public let settings: SessionSettings
    /// The ledger that stores the session.
    public let ledger: Ledger

    init(sessionID: String, settings: SessionSettings, ledger: Ledger) {
        self.sessionID = sessionID
        self.settings = settings
        self.ledger = ledger
    }

    /// The session's items, oldest first (see ``Session/items(limit:)``).
    public func items(limit: Int?) async throws -> [SessionItem] {
        try await items(limit: limit, branch: nil, asOf: nil)
    }

    /// The items of `branch` (default: the current branch), oldest first, as they are now or
    /// as they were at a past position of the log.
    ///
    /// - Parameters:
    ///   - limit: `nil` uses ``SessionSettings/limit``; `N > 0` the latest `N`; `0` none.
    ///   - branch: a branch name, or `nil` for the branch that was current at that position.
    ///   - asOf: a past position; `nil` reads the current state.
    /// - Throws: `invalidArgument` for a negative limit (or, with `limit` nil, a negative
    ///   ``SessionSettings/limit``), a session id or branch name no store can hold, or an `asOf`
    ///   date that is not a number; with any limit, 0 included.
    public func items(limit: Int? = nil, branch: String? = nil, asOf: AsOf? = nil) async throws -> [SessionItem] {
        // Closed first, whatever the arguments, as for every other call.
        try ledger.checkOpen()
        if let limit, limit < 0 {
            throw LedgerError(.invalidArgument, "the limit must be 0 or more, not \(limit)")
        }
        if limit == nil, let limit = settings.limit, limit < 0 {
            // The call gave no limit: name the default it fell back on, not the call.
            throw LedgerError(
                .invalidArgument,
                "the session's default limit (SessionSettings.limit) must be 0 or more (nil for every item), "
                    + "not \(limit)"
            )
        }
        let limit = limit ?? settings.limit
        if limit == 0 {
            // Nothing to read, but the arguments are checked as for any other limit.
            try checkReadArguments(branch: branch)
            if case .date(let date) = asOf {
                try EventFilter.checkDate(date, "the asOf date")
            }
            return []
        }
        let sessionID = sessionID
        return try await read(branch: branch, asOf: asOf) { db in
            let position = try ReadModel.resolve(asOf, db: db)
            return try ReadModel.items(db, session: sessionID, branch: branch, limit: limit, asOf: position)
        }
    }

    /// Appends `items` in order, atomically (see ``Session/addItems(_:)``).
    ///
    /// - Throws: `invalidItem` naming the first item over `maxItemBytes` (nothing is added),
    ///   `invalidArgument` for an empty or oversized session id, `closed`, `writerFailed`.
    public func addItems(_ items: [SessionItem]) async throws {
        _ = try await append(items)
    }

    /// Appends `items` like ``addItems(_:)`` and returns the sequence number of the event that
    /// recorded them (`nil` for an empty array, which writes nothing).
    @discardableResult
    public func append(_ items: [SessionItem]) async throws -> UInt64? {
        let outcome = try await ledger.write(.addItems(session: sessionID, items: items))
        if case .written(let sequence) = outcome {
            return sequence
        }
        return nil
    }

    /// Removes and returns the newest item of the current branch, or `nil` when it is empty.
    /// The item stays in the log, in the pop event. Two concurrent pops never return the same item.
    public func popItem() async throws -> SessionItem? {
        let outcome = try await ledger.write(.popItem(session: sessionID))
        if case .popped(let item, _) = outcome {
            return item
        }
        return nil
    }

    /// Removes every item of the session on every branch and makes `main` current again.
    /// Branch names used before stay reserved; the history stays in the log.
    public func clearSession() async throws {
        _ = try await ledger.write(.clearSession(session: sessionID))
    }

    /// Runs a read-model query for this session, after checking the session id and the branch
    /// name the caller gave (a NUL in either could otherwise match another session's rows).
    /// `asOf`: the position the query reads at, if it names a sequence number (see
    /// ``Ledger/read(reaching:_:)``).
    func read<T: Sendable>(
        branch: String?,
        asOf: AsOf?,
        _ body: @escaping @Sendable (Database) throws -> T
    ) async throws -> T {
        try checkReadArguments(branch: branch)
        guard case .sequence(let sequence) = asOf else {
            return try await ledger.read(body)
        }
        return try await ledger.read(reaching: sequence, body)
    }

    /// Throws `closed` for a closed ledger (first, whatever the arguments), then
    /// `invalidArgument` for a session id or a branch name no store can hold.
    private func checkReadArguments(branch: String?) throws {
        try ledger.checkOpen()
        try Validation.checkSessionID(sessionID)
        if let branch {
            try Validation.checkBranchName(branch)
        }
    }
}
