import AgentLedger
import AgentLedgerTestSupport
import Foundation
import Testing

/// Root working on a store another user owns (a `sudo agentledger rebuild`, say) leaves the files
/// it creates to that user. These tests run as root, as the project's test machines do.
@Suite("Files root creates in another user's store")
struct FileOwnershipTests {
    /// The owner (uid, gid) of `path`.
    static func owner(_ path: String) throws -> (UInt32, UInt32) {
        var status = stat()
        #expect(stat(path, &status) == 0, "stat \(path)")
        return (status.st_uid, status.st_gid)
    }

    @Test(
        "a segment root rolls over to, a read model it rebuilds and a lock file it recreates belong to the store's owner"
    )
    func rootKeepsTheOwner() async throws {
        #expect(geteuid() == 0, "these tests give files to another user, which needs root")
        let store = try TemporaryStore()
        defer { store.remove() }
        let small: (inout LedgerOptions) -> Void = { $0.segmentSizeBytes = 4096 }
        var ledger = try await store.open(configure: small)
        try await ledger.session("s").addItems([ItemFactory.user("first")])
        try await ledger.close()
        // The store becomes nobody's (65534), every file in it.
        let nobody: (UInt32, UInt32) = (65534, 65534)
        let paths =
            [store.path] + (FileManager.default.subpaths(atPath: store.path) ?? []).map { store.path + "/" + $0 }
        for path in paths {
            #expect(chown(path, nobody.0, nobody.1) == 0, "chown \(path)")
        }

        // Root writes past a segment, and rebuilds the read model, the lock and log/ (a store
        // directory its owner made empty: root's first command creates log/).
        try FileManager.default.removeItem(atPath: store.path + "/views.sqlite")
        try FileManager.default.removeItem(atPath: store.path + "/LOCK")
        try FileManager.default.removeItem(atPath: store.path + "/log")
        ledger = try await store.open(configure: small)
        for _ in 0..<30 {
            // Random text, which compresses badly: 30 frames fill more than one 4 KiB segment.
            try await ledger.session("s").addItems([ItemFactory.user((0..<20).map { _ in UUID().uuidString }.joined())])
        }
        try await ledger.close()
        let created = (try FileManager.default.contentsOfDirectory(atPath: store.path + "/log")).map { "log/" + $0 }
        #expect(created.count > 1, "\(created)")
        for name in created + ["log", "views.sqlite", "LOCK"] {
            let (uid, gid) = try Self.owner(store.path + "/" + name)
            #expect(uid == nobody.0 && gid == nobody.1, "\(name) belongs to \(uid):\(gid)")
        }
    }
}
