/// The items of one turn, by type and tool, as listed by ``LedgerSession/conversationByTurns(branch:asOf:)``.
public struct TurnItems: Sendable, Hashable {
    /// One item: its type (`user`, `assistant`, `function_call`, ...) and its tool name, if any.
    public struct Item: Sendable, Hashable {
        /// `user` / `assistant` by role, else the item's `type`, else `other`.
        public let type: String
        /// The tool the item calls or answers, if any.
        public let toolName: String?
    }

    /// The turn number (0 for items before the first user item).
    public let turn: Int
    /// Its items in order.
    public let items: [Item]
}
