extension Ledger {
    /// The phases of the writer's group commits since the ledger opened (wall-clock and CPU
    /// time of each), or nil unless it was opened with ``LedgerOptions/profilesWriter``.
    /// A read-only ledger has no writer and returns nil.
    ///
    /// The profile is the one published by the last group commit before its callers resumed,
    /// so it counts every write the caller has seen return; the time that commit then spent
    /// resuming them shows in the next one. Reading it does not pause the writer.
    ///
    /// - Throws: `LedgerError` with code `closed` after ``close()``.
    public func writerProfile() async throws -> WriterProfile? {
        try checkOpen()
        return writer?.profile()
    }
}
