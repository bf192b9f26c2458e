/// A conversation's memory, as agent frameworks know it: add items, read the latest N, pop the
/// last, clear. The semantics follow the OpenAI Agents SDK's `Session` protocol
/// (`get_items`, `add_items`, `pop_item`, `clear_session`); see SEMANTICS.md.
///
/// ``LedgerSession`` is the implementation backed by the event log. The protocol lets you wrap
/// it (caching, metrics) or fake it in your own tests.
public protocol Session: Sendable {
    /// The session's id. Sessions are created by their first add.
    var sessionID: String { get }
    /// Per-session defaults, such as the default `limit` of ``items(limit:)``.
    var settings: SessionSettings { get }

    /// The session's items, oldest first.
    ///
    /// - Parameter limit: `nil` uses ``SessionSettings/limit`` (all items when that is `nil`
    ///   too); `N > 0` returns the latest `N` in chronological order; `0` returns `[]`.
    /// - Throws: `invalidArgument` for a negative limit.
    func items(limit: Int?) async throws -> [SessionItem]

    /// Appends `items` in order, atomically: one invalid item rejects the whole call and
    /// nothing is added. An empty array is a no-op.
    func addItems(_ items: [SessionItem]) async throws

    /// Removes and returns the newest item, or `nil` when the session is empty.
    func popItem() async throws -> SessionItem?

    /// Removes every item of the session (the history stays in the log).
    func clearSession() async throws
}

extension Session {
    /// The session's items with the default limit: ``items(limit:)`` with `nil`.
    public func items() async throws -> [SessionItem] {
        try await items(limit: nil)
    }
}
