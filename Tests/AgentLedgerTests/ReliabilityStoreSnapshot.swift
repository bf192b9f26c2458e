import AgentLedger

/// What a store holds, to check that a refused operation changed nothing: the head, the items
/// of some sessions, and every byte of the log.
struct ReliabilityStoreSnapshot: Equatable {
    let head: UInt64
    let items: [String: [SessionItem]]
    let logFiles: [String: [UInt8]]

    /// Takes a snapshot of the open `ledger`, reading the items of `sessions`.
    static func take(_ ledger: Ledger, sessions: [String]) async throws -> ReliabilityStoreSnapshot {
        var items: [String: [SessionItem]] = [:]
        for session in sessions {
            items[session] = try await ledger.session(session).items()
        }
        return ReliabilityStoreSnapshot(
            head: try await ledger.headSequence(),
            items: items,
            logFiles: try ReliabilityHelpers.logFiles(ledger.directory)
        )
    }
}
