extension Ledger {
    /// The phases of the writer's group commits since the ledger opened (wall-clock and CPU
    /// time of each), or nil unless it was opened with ``LedgerOptions/profilesWriter``.
    /// A read-only ledger has no writer and returns nil.
    ///
    /// - Throws: `LedgerError` with code `closed` after ``close()``.
    public func writerProfile() async throws -> WriterProfile? {
        try checkOpen()
        return try await writer?.profile()
    }
}
