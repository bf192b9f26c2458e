extension LedgerSession {
    /// Records `usage` for the current turn of the current branch, as ``storeRunUsage(_:)``
    /// does, but reports every failure by throwing instead of logging it: for tools, such as
    /// the command line, that must tell their user what happened.
    ///
    /// - Returns: the sequence number of the event that recorded the usage, or `nil` when the
    ///   current branch has no user turn yet (nothing is recorded then).
    /// - Throws: `invalidArgument` when `usage.detailsJSON` is not valid JSON, or when a count is
    ///   below 0 or over ``RunUsage/maxFieldValue`` (nothing is recorded then), and what any
    ///   write throws (`closed`, `readOnly`, `writerFailed`).
    @discardableResult
    public func recordUsage(_ usage: RunUsage) async throws -> UInt64? {
        // Closed first, whatever the usage holds, as for every other call.
        try ledger.checkOpen()
        if let details = usage.detailsJSON {
            do {
                _ = try JSONValue(parsing: details)
            } catch let error as LedgerError {
                throw LedgerError(.invalidArgument, "the usage details are \(error.message)", underlying: error)
            }
        }
        let outcome = try await ledger.write(.recordUsage(session: sessionID, usage: usage))
        if case .written(let sequence) = outcome {
            return sequence
        }
        return nil
    }
}
