/// How far a replay of the log into the read model has come.
public struct RebuildProgress: Sendable, Hashable {
    /// Events applied so far.
    public let applied: UInt64
    /// Events to apply in all.
    public let total: UInt64

    /// Creates a progress report.
    public init(applied: UInt64, total: UInt64) {
        self.applied = applied
        self.total = total
    }

    /// The share done, from 0 to 1 (1 when there is nothing to do).
    public var fraction: Double {
        total == 0 ? 1 : Double(applied) / Double(total)
    }
}
