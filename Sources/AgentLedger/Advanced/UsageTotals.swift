/// Token usage summed over turns, as returned by ``LedgerSession/sessionUsage(branch:asOf:)``.
public struct UsageTotals: Sendable, Hashable {
    /// Model requests.
    public let requests: Int
    /// Input tokens.
    public let inputTokens: Int
    /// Output tokens.
    public let outputTokens: Int
    /// Total tokens.
    public let totalTokens: Int
    /// Turns with recorded usage.
    public let turnCount: Int
}
