extension LedgerSession {
    /// Records `usage` for the current turn of the current branch; the last record of a turn
    /// wins. With no turn yet, nothing is recorded.
    ///
    /// Like the SDK's `store_run_usage`, this never throws: a closed store, a failed writer,
    /// invalid details or a count below 0 or over ``RunUsage/maxFieldValue`` are reported
    /// through the ledger's logger.
    public func storeRunUsage(_ usage: RunUsage) async {
        do {
            if try await recordUsage(usage) == nil {
                ledger.options.logger.debug(
                    "usage not recorded: the session has no turn yet",
                    metadata: ["session": "\(sessionID)"]
                )
            }
        } catch {
            ledger.options.logger.error(
                "usage not recorded",
                metadata: ["session": "\(sessionID)", "error": "\(error)"]
            )
        }
    }

    /// Usage summed across every branch (`branch == nil`) or for one branch; `nil` when none
    /// was recorded.
    public func sessionUsage(branch: String? = nil, asOf: AsOf? = nil) async throws -> UsageTotals? {
        let sessionID = sessionID
        return try await read(branch: branch, asOf: asOf) { db in
            try ReadModel.usageTotals(db, session: sessionID, branch: branch, at: try ReadModel.resolve(asOf, db: db))
        }
    }

    /// The usage of turn `turn` (empty when none), or of every turn when `turn` is `nil`, on
    /// `branch` (default: the current one).
    public func turnUsage(_ turn: Int? = nil, branch: String? = nil, asOf: AsOf? = nil) async throws -> [TurnUsage] {
        let sessionID = sessionID
        return try await read(branch: branch, asOf: asOf) { db in
            try ReadModel.turnUsage(
                db,
                session: sessionID,
                turn: turn,
                branch: branch,
                at: try ReadModel.resolve(asOf, db: db)
            )
        }
    }
}
