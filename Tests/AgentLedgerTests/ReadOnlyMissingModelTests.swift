import AgentLedger
import AgentLedgerTestSupport
import Foundation
import Testing

@Suite("Read-only open of a store whose read model is missing")
struct ReadOnlyMissingModelTests {
    @Test("while a writer holds the lock it is storeLocked (the writer rebuilds it), else notFound")
    func missingModel() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let first = try await store.open()
        try await first.session("s").addItems([ItemFactory.user("q")])
        try await first.close()
        let writer = try await store.open()
        for suffix in ["", "-wal", "-shm"] {
            try? FileManager.default.removeItem(atPath: store.path + "/views.sqlite" + suffix)
        }
        let locked = try await #require(throws: LedgerError.self) {
            try await Ledger.open(at: store.path, options: LedgerOptions(readOnly: true))
        }
        #expect(locked.code == .storeLocked)
        #expect(locked.message.contains("is missing while process \(getpid()) holds the store's writer lock"))
        try await writer.close()
        for suffix in ["", "-wal", "-shm"] {
            try? FileManager.default.removeItem(atPath: store.path + "/views.sqlite" + suffix)
        }
        let missing = try await #require(throws: LedgerError.self) {
            try await Ledger.open(at: store.path, options: LedgerOptions(readOnly: true))
        }
        #expect(missing.code == .notFound)
    }
}
