/// Figures about a store, as reported by ``Ledger/stats()``.
public struct LedgerStats: Sendable, Hashable {
    /// The sequence number of the newest event (the number of events ever written).
    public let headSequence: UInt64
    /// Sessions ever written.
    public let sessionCount: Int
    /// Items on current branches now (after pops and clears).
    public let liveItemCount: Int
    /// Item rows ever added, on every branch.
    public let totalItemRows: Int
    /// Segment files of the log.
    public let segmentCount: Int
    /// Bytes of the log on disk: segment headers and frames.
    public let logBytes: Int64
    /// Zero bytes after the last frame that the writer reserved for the next frames (at most
    /// 1 MiB by default; cut when the store closes), not counted in ``logBytes``.
    public let logReservedBytes: Int64
    /// Bytes of the read model on disk (the database, its WAL and shared memory).
    public let readModelBytes: Int64
}
