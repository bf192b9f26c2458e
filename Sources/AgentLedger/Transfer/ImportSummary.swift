/// What an import wrote.
public struct ImportSummary: Sendable, Hashable {
    /// Events written to this store.
    public let eventsWritten: Int
    /// Sessions written to.
    public let sessions: Int
    /// Items added (by the commands that were written); for an SDK database without refusals,
    /// its messages imported, each counted once however many branches share it.
    public let items: Int
    /// Commands the store refused (with the reason), in order; empty when everything applied.
    /// The commands after a refused one are still written: an import is not one transaction.
    public let refused: [String]
    /// For each of ``refused``, the position (from 0) in the events given to
    /// ``Ledger/importEvents(_:appending:progress:)`` of the event whose command was refused;
    /// empty for an import of an SDK database.
    public var refusedEventIndexes: [Int] = []
    /// What an import of an SDK database left out, with the reason: rows skipped as invalid (see
    /// ``Ledger/importSDKSQLite(at:sessionsTable:messagesTable:skippingInvalid:appending:resuming:progress:)``),
    /// usage records, messages on no branch, branches it could not place, and, resuming,
    /// sessions already imported whole. Empty for events.
    public var skipped: [String] = []
}
