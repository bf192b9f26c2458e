/// What an import wrote.
public struct ImportSummary: Sendable, Hashable {
    /// Events written to this store.
    public let eventsWritten: Int
    /// Sessions touched.
    public let sessions: Int
    /// Items added.
    public let items: Int
    /// Commands the store refused (with the reason), in order; empty when everything applied.
    public let refused: [String]
}
