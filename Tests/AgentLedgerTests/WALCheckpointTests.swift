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

    @Test("after rebuildViews, whose copy the WAL hook does not see, the writer checkpoints the WAL")
    func checkpointAfterRebuild() async throws {
        let store = try TemporaryStore(prefix: "wal-rebuild")
        defer { store.remove() }
        let ledger = try await store.open()
        let padding = String(repeating: "y", count: 1_000)
        for call in 0..<50 {
            try await ledger.session("s\(call % 5)").addItems(
                (0..<20).map { ItemFactory.user("\(call) \($0) \(padding)") }
            )
        }
        try await ledger.rebuildViews()
        // The next exclusive task runs once the writer is done with what followed the rebuild.
        let writer = try #require(ledger.writer)
        try await writer.exclusive { _ in }
        // The WAL-index header (sqlite.org/walformat.html): mxFrame at byte 16, the checkpoint
        // information's nBackfill at byte 96, both native-endian.
        let shm = try Data(contentsOf: URL(fileURLWithPath: store.path + "/views.sqlite-shm"))
        let frames = shm.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 16, as: UInt32.self) }
        let backfilled = shm.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 96, as: UInt32.self) }
        // The backup wrote every page of the model (about 1 MB, some 250 pages) to the WAL. A
        // write after it (full-text indexing once the writer has been idle 50 ms) may have
        // started the WAL over, which SQLite does only once every frame was copied; the
        // checkpoint of that write's few frames may not have run yet when this reads the index
        // (seen once under the full suite: 0 of 14).
        #expect(frames > 0, "\(frames) frames in the WAL")
        #expect(
            backfilled == frames || frames < 100,
            "\(backfilled) of \(frames) WAL frames copied into the database"
        )
        try await ledger.close()
    }

    @Test("a WAL that rebuildViews grew is cut back to the size limit once the writer starts it over")
    func walShrinksAfterRebuild() async throws {
        let store = try TemporaryStore(prefix: "wal-shrink")
        defer { store.remove() }
        let limit = 64 << 10
        let ledger = try await store.open(durability: .none) { $0.walSizeLimitBytes = limit }
        let padding = String(repeating: "z", count: 1_000)
        for call in 0..<100 {
            try await ledger.session("s\(call % 5)").addItems(
                (0..<20).map { ItemFactory.user("\(call) \($0) \(padding)") }
            )
        }
        // The backup copies every page of the model (about 2 MB) through the WAL.
        try await ledger.rebuildViews()
        let writer = try #require(ledger.writer)
        try await writer.exclusive { _ in }
        let grown = try Self.walBytes(store.path)
        #expect(grown > 16 * UInt64(limit), "the rebuild left a WAL of \(grown) bytes")
        // The writer checkpointed it after the exclusive task. The next write (the search's
        // indexing of the new model, so that none is left for later) starts it over, and its
        // COMMIT cuts the file back to the limit; it and the add then append their own pages
        // (some dozens of KB). Without the limit the file keeps its largest size.
        _ = try await ledger.session("s0").search("after")
        try await ledger.session("after").addItems([ItemFactory.user("after")])
        try await writer.exclusive { _ in }
        let after = try Self.walBytes(store.path)
        #expect(after < grown / 4, "the WAL kept \(after) of \(grown) bytes, the limit being \(limit)")
        try await ledger.close()
    }

    private static func walBytes(_ store: String) throws -> UInt64 {
        let attributes = try FileManager.default.attributesOfItem(atPath: store + "/views.sqlite-wal")
        return (attributes[.size] as? NSNumber)?.uint64Value ?? 0
    }
}
