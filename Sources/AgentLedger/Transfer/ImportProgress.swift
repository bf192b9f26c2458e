/// How far an import has come: its events written so far, of all it will write (one per add,
/// pop, clear, branch change or usage record to replay).
public struct ImportProgress: Sendable, Hashable {
    /// Events written, or refused, so far.
    public let written: Int
    /// Events to write in all.
    public let total: Int
    /// For ``Ledger/importEvents(_:appending:progress:)``: how many of the events given, from
    /// the first, are written (or refused) whole. An import cancelled between two group commits
    /// is finished by importing the events from this position on, appending. Nil for an SDK
    /// database.
    public let eventsDone: Int?
    /// The sequence number of the last event the import has written so far; nil while it has
    /// written none. A store whose log ends there after a failed import holds nothing of the
    /// group commit that failed.
    public let lastSequence: UInt64?

    /// Creates a progress report.
    public init(written: Int, total: Int, eventsDone: Int? = nil, lastSequence: UInt64? = nil) {
        self.written = written
        self.total = total
        self.eventsDone = eventsDone
        self.lastSequence = lastSequence
    }

    /// The share done, from 0 to 1 (1 when there is nothing to do).
    public var fraction: Double {
        total == 0 ? 1 : Double(written) / Double(total)
    }
}
