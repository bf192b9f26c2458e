import AgentLedger
import AgentLedgerTestSupport
import Foundation
import Testing

/// A checkout whose destination's disk fills up: the error is the new store's, nothing is left.
@Suite("CLI checkout onto a full disk")
struct CLICheckoutFullDiskTests {
    @Test(
        "a checkout onto a 64 KiB tmpfs copies the log but cannot build the read model: exit 74 naming the new store's read model, no store and no staging directory left, the source unchanged"
    )
    func readModelOfTheNewStoreDoesNotFit() async throws {
        let store = try CLIStore()
        #expect(try await store.ok("add", "s", input: #"{"role":"user","content":"hello"}"#) == "1\n")
        let disk = store.root + "/disk"
        try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: false)
        // The tests run as root (CI too): a real full disk needs a mount.
        try await Tmpfs.withMount(at: disk, size: "64k") { try await checkOut(store, onto: $0) }
    }

    private func checkOut(_ store: CLIStore, onto disk: String) async throws {
        let target = disk + "/past"
        let result = try await store.run("checkout", "--as-of-seq", "1", "--into", target)
        #expect(result.status == 74, "\(result.standardOutput) \(result.standardError)")
        // The log (a few hundred bytes) fits; the new store's read model (about 100 KB) does not.
        #expect(
            result.standardError.contains("building the read model of the new store for \(target) failed: "),
            "\(result.standardError)"
        )
        #expect(result.standardError.contains("disk is full"), "\(result.standardError)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: disk) == [])
        // The source is only read.
        #expect(try await store.run("verify").status == 0)
        #expect(try await store.ok("items", "s").contains("hello"))
        #expect(FileManager.default.fileExists(atPath: store.path + "/views.sqlite"))
    }
}
