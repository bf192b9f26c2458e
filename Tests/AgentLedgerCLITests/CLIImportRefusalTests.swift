import AgentLedgerTestSupport
import Testing

@Suite("CLI import: a command the target store refuses")
struct CLIImportRefusalTests {
    @Test("is reported with its line and skipped; the rest is written and the exit status is 65")
    func refusedLine() async throws {
        let source = try CLIStore()
        try await source.ok("add", "s", input: #"{"role":"user","content":"hi"}"#)
        try await source.ok("branch", "create", "s", "--from-turn", "1", "--name", "x")
        try await source.ok("add", "s", input: #"{"role":"user","content":"on x"}"#)
        let export = try await source.ok("export")
        let target = try CLIStore()
        try await target.ok("add", "s", input: #"{"role":"user","content":"old"}"#)
        try await target.ok("branch", "create", "s", "--from-turn", "1", "--name", "x")
        // A blank line first, so that line numbers and event positions differ.
        let result = try await target.run("import", input: "\n" + export)
        #expect(result.status == 65, "\(result.standardError)")
        #expect(
            result.standardOutput.contains("refused: line 3: branch name 'x' was already used"),
            "\(result.standardOutput)"
        )
        #expect(result.standardOutput.contains("imported 3 events"), "\(result.standardOutput)")
    }
}
