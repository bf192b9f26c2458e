import AgentLedger
import AgentLedgerTestSupport
import Foundation
import Testing

/// The temporary read models a killed process leaves next to `views.sqlite`: a deep
/// verification's (`views.sqlite.verify-<pid>`) and a rebuild's (`views.sqlite.rebuild`).
@Suite("Read model leftovers of killed processes")
struct ReadModelLeftoversTests {
    /// Creates `names` in `directory`, each a small file.
    static func create(_ names: [String], in directory: String) throws {
        for name in names {
            try Data("left by a killed process".utf8).write(to: URL(fileURLWithPath: directory + "/" + name))
        }
    }

    /// Which of `names` exist in `directory`.
    static func existing(_ names: [String], in directory: String) -> [String] {
        names.filter { FileManager.default.fileExists(atPath: directory + "/" + $0) }
    }

    @Test("a deep verification removes the temporary models of verifications whose process is gone, not a live one's")
    func verifyRemovesStaleModels() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let ledger = try await store.open()
        try await ledger.session("s").addItems([ItemFactory.user("one"), ItemFactory.user("two")])
        let gone = try CheckoutTests.goneProcessID()
        let stale = ["views.sqlite.verify-\(gone)", "views.sqlite.verify-\(gone)-journal"]
        // A live process's (this process's parent), and names that only look alike.
        let kept = ["views.sqlite.verify-\(getppid())", "views.sqlite.verify-\(gone)x", "views.sqlite.verify-"]
        try Self.create(stale + kept, in: store.path)

        #expect(try await ledger.verifyReadModel() == [])
        #expect(Self.existing(stale, in: store.path) == [])
        #expect(Self.existing(kept, in: store.path) == kept)
        // Its own temporary model is gone too.
        #expect(Self.existing(["views.sqlite.verify-\(getpid())"], in: store.path) == [])
        try await ledger.close()
    }

    @Test("opening for writing removes a rebuild's temporary model and dead verifications', not a live one's")
    func openRemovesStaleModels() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let ledger = try await store.open()
        try await ledger.session("s").addItems([ItemFactory.user("one")])
        try await ledger.close()
        let gone = try CheckoutTests.goneProcessID()
        let stale = ["views.sqlite.verify-\(gone)", "views.sqlite.rebuild", "views.sqlite.rebuild-journal"]
        let kept = ["views.sqlite.verify-\(getppid())"]
        try Self.create(stale + kept, in: store.path)

        // Read-only: no lock, nothing removed.
        let reader = try await Ledger.open(at: store.path, options: LedgerOptions(readOnly: true))
        try await reader.close()
        #expect(Self.existing(stale, in: store.path) == stale)

        let writer = try await store.open()
        #expect(Self.existing(stale, in: store.path) == [])
        #expect(Self.existing(kept, in: store.path) == kept)
        #expect(try await writer.session("s").items().count == 1)

        // A rebuild replaces one left while the store is open.
        try Self.create(["views.sqlite.rebuild"], in: store.path)
        try await writer.rebuildViews()
        #expect(Self.existing(["views.sqlite.rebuild"], in: store.path) == [])
        try await writer.close()
    }
}
