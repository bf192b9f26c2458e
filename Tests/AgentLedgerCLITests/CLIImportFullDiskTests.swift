import AgentLedgerTestSupport
import Foundation
import Testing

/// An `import` that fills the disk: it stops at a failed group commit, and says whether the
/// store holds any of it and how to finish.
@Suite("CLI import onto a full disk")
struct CLIImportFullDiskTests {
    @Test(
        "an import onto a 1 MiB tmpfs fails part way (exit 74), says the failed group commit is not in the store, and its command finishes the import once the disk has room: every event once"
    )
    func importFillsTheDisk() async throws {
        let store = try CLIStore()
        // 3,000 one-item events of 300 bytes over 30 sessions: the read model outgrows 1 MiB.
        let count = 3000
        let lines = (1...count).map { index in
            let content = "m \(index) " + String(repeating: "x", count: 300)
            return
                #"{"seq":\#(index),"time":"2026-11-29T10:00:00.000000Z","session":"s\#(index % 30)","branch":"main","kind":"items_added","items":[{"role":"user","content":"\#(content)"}]}"#
        }
        let input = store.root + "/export.jsonl"
        try (lines.joined(separator: "\n") + "\n").write(toFile: input, atomically: false, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: store.path, withIntermediateDirectories: false)
        // The tests run as root (CI too): a real full disk needs a mount.
        try await Tmpfs.withMount(at: store.path, size: "1m") { disk in
            let result = try await store.run("import", "--file", input)
            #expect(result.status == 74, "\(result.standardOutput) \(result.standardError)")
            #expect(result.standardError.contains("disk is full"), "\(result.standardError)")
            let pattern =
                /It is not: the store's log ends at sequence (\d+), the import's last acknowledged event\. To finish it once the cause is fixed: tail -n \+(\d+) (\S+) \| agentledger import --append --store (\S+)\n$/
            let match = try #require(result.standardError.firstMatch(of: pattern), "\(result.standardError)")
            let end = try #require(Int(match.1))
            #expect(end > 0 && end < count)
            // Each line is one event: the store holds the lines before the one to resume at.
            #expect(try #require(Int(match.2)) == end + 1)
            #expect(match.3 == input)
            #expect(match.4 == store.path)
            #expect(try await store.ok("export").split(separator: "\n").count == end)

            // Room again: the command given finishes the import.
            #expect(try await Tmpfs.resize(disk, to: "64m").ok)
            let finished = try await store.finishImport(fromLine: end + 1, of: input)
            #expect(finished.status == 0, "\(finished.standardError)")
            let contents = try await store.ok("export").split(separator: "\n").map { line in
                try #require(try CLIStore.json(String(line))["items"]?.arrayValue?.first?["content"]?.stringValue)
            }
            #expect(contents.count == count)
            #expect(Set(contents).count == count)
            #expect(try await store.run("verify").status == 0)
        }
    }
}
