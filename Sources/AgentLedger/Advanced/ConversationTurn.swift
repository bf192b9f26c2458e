public import Foundation

/// One user turn, as listed by ``LedgerSession/conversationTurns(branch:asOf:)``.
public struct ConversationTurn: Sendable, Hashable {
    /// The turn number, from 1, per branch.
    public let turn: Int
    /// The content as the SDK previews it, cut to 100 characters (Unicode code points), with "..."
    /// when cut: a string content as it is, any other content JSON-encoded as Python's
    /// `json.dumps(content, ensure_ascii=False)` writes it (`null` is `"null"`, characters beyond
    /// ASCII stay as they are); a missing content is `""`.
    public let preview: String
    /// The full content: a string as it is; list (or other) content JSON-encoded as Python's
    /// `json.dumps(content)` writes it with its defaults (characters beyond ASCII as `\u` escapes);
    /// `""` for a missing or `null` content.
    public let content: String
    /// When the user item was added.
    public let timestamp: Date
    /// The sequence number of the event that added the user item.
    public let sequence: UInt64
}
