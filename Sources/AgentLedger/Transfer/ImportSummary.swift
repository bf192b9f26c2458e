/// What an import wrote.
public struct ImportSummary: Sendable, Hashable {
    /// Events written to this store.
    public let eventsWritten: Int
    /// Sessions touched.
    public let sessions: Int
    /// Items added.
    public let items: Int
    /// Commands the store refused (with the reason), in order; empty when everything applied.
    /// The commands after a refused one are still written: an import is not one transaction.
    public let refused: [String]
    /// For each of ``refused``, the position (from 0) in the events given to
    /// ``Ledger/importEvents(_:)`` of the event whose command was refused; empty for an import
    /// of an SDK database.
    public var refusedEventIndexes: [Int] = []
}
