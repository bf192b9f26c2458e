/// The token usage of one agent run, as recorded by `storeRunUsage(_:)`.
///
/// Each count must be 0 through ``maxFieldValue`` (10^12): a record outside that range is
/// refused with `invalidArgument` and nothing is recorded. The cap keeps the sums that
/// `sessionUsage(branch:asOf:)` returns far from `Int64` overflow: it takes over nine million
/// records at the cap to reach `Int64.max`.
public struct RunUsage: Sendable, Hashable {
    /// The largest value ``requests``, ``inputTokens``, ``outputTokens`` or ``totalTokens`` may
    /// have in one record: 10^12, far above any real run and far below `Int64.max`, so that sums
    /// over a session's records cannot overflow.
    public static let maxFieldValue = 1_000_000_000_000

    /// The number of model requests.
    public var requests: Int
    /// Input tokens.
    public var inputTokens: Int
    /// Output tokens.
    public var outputTokens: Int
    /// Total tokens.
    public var totalTokens: Int
    /// Opaque JSON details (for example input and output token details), kept verbatim.
    public var detailsJSON: String?

    /// Creates a usage record.
    public init(
        requests: Int = 0,
        inputTokens: Int = 0,
        outputTokens: Int = 0,
        totalTokens: Int = 0,
        detailsJSON: String? = nil
    ) {
        self.requests = requests
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.totalTokens = totalTokens
        self.detailsJSON = detailsJSON
    }
}
