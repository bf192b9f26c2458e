/// The token usage of one agent run, as recorded by `storeRunUsage(_:)`.
public struct RunUsage: Sendable, Hashable {
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
