import AgentLedgerTestSupport
import Foundation
import Testing

@testable import AgentLedger

/// The writer checkpoints the read model's WAL between group commits, in place of SQLite's
/// automatic checkpoint inside the COMMIT.
@Suite("Read model WAL checkpoints")
struct WALCheckpointTests {
    @Test(
        "the WAL stays bounded over 2,000 group commits of 10 KB, with fsync and without",
        arguments: [Durability.none, .fsync]
    )
    func walStaysBounded(durability: Durability) async throws {
        let store = try TemporaryStore(prefix: "wal-checkpoint")
        defer { store.remove() }
        let ledger = try await store.open(durability: durability)
        let session = ledger.session("s")
        let padding = String(repeating: "x", count: 1_000)
        var largest: UInt64 = 0
        for call in 0..<2_000 {
            try await session.addItems((0..<10).map { ItemFactory.user("call \(call) item \($0) \(padding)") })
            if call % 100 == 99 {
                largest = max(largest, try Self.walBytes(store.path))
            }
        }
        // About 20 MB of items went through the WAL; a checkpoint every 1,000 pages (4 MiB)
        // lets SQLite reuse it from the start.
        #expect(largest > 0)
        #expect(largest < 12 << 20, "the WAL grew to \(largest) bytes")
        #expect(try await session.items(limit: 1).first?.jsonBytes.count ?? 0 > 1_000)
        // SQLite's automatic checkpoint is off on the writer connection (the hook replaced it).
        let writer = try #require(ledger.writer)
        let readModel = ledger.readModel
        let automatic = try await writer.exclusive { _ in
            try readModel.pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") }
        }
        #expect(automatic == 0)
        try await ledger.close()
    }

    private static func walBytes(_ store: String) throws -> UInt64 {
        let attributes = try FileManager.default.attributesOfItem(atPath: store + "/views.sqlite-wal")
        return (attributes[.size] as? NSNumber)?.uint64Value ?? 0
    }
}
