public import Foundation

/// One session of a store, as listed by ``Ledger/sessions()``.
public struct SessionSummary: Sendable, Hashable {
    /// The session id.
    public let sessionID: String
    /// The number of items on its current branch.
    public let itemCount: Int
    /// The current branch.
    public let currentBranch: String
    /// The sequence number of the session's first event.
    public let firstSequence: UInt64
    /// The sequence number of its latest event.
    public let lastSequence: UInt64
    /// When its latest event was written.
    public let lastActivity: Date
}
