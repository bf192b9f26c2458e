import AgentLedgerTestSupport
import Foundation
import Testing

/// Ctrl-C during `import`: the import stops between two group commits and says what it wrote.
@Suite("CLI import interrupted")
struct CLIImportInterruptTests {
    @Test("SIGINT during import stops it between two group commits: exit 130, and the store holds what it says")
    func interruptedImport() async throws {
        let store = try CLIStore()
        // 200,000 one-item events over 50 sessions, in export's format: several seconds of
        // writing after the first progress line, even on a fast machine.
        let count = 200_000
        let lines = (1...count).map { index in
            #"{"seq":\#(index),"time":"2026-11-28T22:37:27.857426Z","session":"s\#(index % 50)","branch":"main","kind":"items_added","items":[{"role":"user","content":"m \#(index)"}]}"#
        }
        let input = store.root + "/export.jsonl"
        try (lines.joined(separator: "\n") + "\n").write(toFile: input, atomically: false, encoding: .utf8)
        let importing = try store.runner.start([
            "import", "--file", input, "--store", store.path, "--durability", "none",
        ])
        // The progress line shows once the import has written for a second, far from its end.
        #expect(await importing.send(SIGINT, whenStandardErrorContains: "import: "))
        let result = await importing.wait()
        #expect(result.status == 130, "\(result.standardOutput) \(result.standardError)")
        let pattern =
            /the import was cancelled between two group commits\. The import stopped at event (\d+) of the input: the (\d+) events it wrote before are in the store, none after them/
        let match = try #require(result.standardError.firstMatch(of: pattern), "\(result.standardError)")
        let written = try #require(Int(match.2))
        #expect(try #require(Int(match.1)) == written + 1)
        #expect(written > 0 && written < count)
        let head = try await store.ok("log", "--json").split(separator: "\n").count
        #expect(head == written)
        #expect(try await store.run("verify").status == 0)

        // The message ends with the command that finishes the import; run as given, it leaves
        // every event in the store once.
        let finish =
            "To finish it: tail -n +\(written + 1) \(input) | agentledger import --append --store \(store.path)"
        #expect(result.standardError.hasSuffix(finish + "\n"), "\(result.standardError)")
        let finished = try await store.finishImport(fromLine: written + 1, of: input, ["--durability", "none"])
        #expect(finished.status == 0, "\(finished.standardError)")
        #expect(try await store.ok("log", "--json").split(separator: "\n").count == count)
        #expect(try CLIStore.json(try await store.ok("items", "s7")).arrayValue?.count == count / 50)
        #expect(try await store.run("verify").status == 0)
    }
}
