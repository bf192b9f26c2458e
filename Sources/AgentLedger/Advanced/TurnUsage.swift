public import Foundation

/// The usage recorded for one turn, as returned by ``LedgerSession/turnUsage(_:branch:asOf:)``.
public struct TurnUsage: Sendable, Hashable {
    /// The branch.
    public let branch: String
    /// The turn.
    public let turn: Int
    /// The usage (the last one recorded for the turn).
    public let usage: RunUsage
    /// When it was recorded.
    public let recordedAt: Date
    /// The sequence number of the event that recorded it.
    public let sequence: UInt64
}
