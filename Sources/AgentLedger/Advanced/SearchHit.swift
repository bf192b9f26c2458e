/// An item found by full-text search (``LedgerSession/search(_:limit:branch:)``, ``Ledger/search(_:limit:)``).
public struct SearchHit: Sendable, Hashable {
    /// The session holding the item.
    public let sessionID: String
    /// The branch holding the item.
    public let branch: String
    /// The item's turn on that branch.
    public let turn: Int
    /// The sequence number of the event that added the item.
    public let sequence: UInt64
    /// The item.
    public let item: SessionItem
    /// The FTS5 bm25 rank: lower is a better match.
    public let rank: Double
}
