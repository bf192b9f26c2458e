extension Ledger {
    /// Whether the read model answers for exactly this store's log as it is now: built from it
    /// (the log's identity it recorded is this log's, or it recorded none) and caught up to
    /// its last event. Always true for a ledger that writes, which keeps it so. A read-only
    /// handle with no writer about can use it before trusting its answers: a model that is
    /// behind the log misses events, and one of another log (a log put in place of this one's)
    /// answers for that log, until a writer opens the store.
    public func readModelIsCurrent() async throws -> Bool {
        try checkOpen()
        if writer != nil {
            return true
        }
        let (status, identity) = try await modelStatusAndLogIdentity()
        if let recorded = status.logIdentity, let identity, recorded != identity {
            return false
        }
        return status.checkpoint == (try await logLastSequence())
    }
}
