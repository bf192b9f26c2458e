public import Foundation

/// One user turn, as listed by ``LedgerSession/conversationTurns(branch:asOf:)``.
public struct ConversationTurn: Sendable, Hashable {
    /// The turn number, from 1, per branch.
    public let turn: Int
    /// The content cut to 100 characters, with "..." when cut.
    public let preview: String
    /// The full content (list content is JSON-encoded).
    public let content: String
    /// When the user item was added.
    public let timestamp: Date
    /// The sequence number of the event that added the user item.
    public let sequence: UInt64
}
