public import AgentLedger
import Foundation

/// A store in a fresh temporary directory, removed by ``remove()``.
///
/// ```swift
/// let store = try TemporaryStore()
/// defer { store.remove() }
/// let ledger = try await store.open()
/// ```
public struct TemporaryStore: Sendable {
    /// The store directory.
    public let path: String

    /// Creates an empty temporary directory for a store.
    public init(prefix: String = "agentledger-test") throws {
        let base = FileManager.default.temporaryDirectory.path
        let path = base + "/" + prefix + "-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        self.path = path
    }

    /// Opens the store with test-friendly defaults (no fsync unless asked, a fixed logger level).
    public func open(
        durability: Durability = .none,
        configure: (inout LedgerOptions) -> Void = { _ in }
    ) async throws -> Ledger {
        var options = LedgerOptions(durability: durability)
        configure(&options)
        return try await Ledger.open(at: path, options: options)
    }

    /// Deletes the directory and everything in it.
    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
