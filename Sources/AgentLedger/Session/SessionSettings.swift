/// Per-session defaults, as in the OpenAI Agents SDK's `SessionSettings`.
public struct SessionSettings: Sendable, Hashable {
    /// The number of latest items `items()` returns when called without a limit;
    /// `nil` returns every item.
    public var limit: Int?

    /// Creates settings.
    public init(limit: Int? = nil) {
        self.limit = limit
    }
}
