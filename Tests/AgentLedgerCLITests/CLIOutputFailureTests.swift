import AgentLedgerTestSupport
import Foundation
import Testing

@Suite("CLI output that cannot be written after a write")
struct CLIOutputFailureTests {
    /// Runs `arguments` against `store` with standard output on `/dev/full` (every write fails
    /// with ENOSPC) and `input` on standard input.
    static func runToFullDevice(
        _ store: CLIStore,
        _ arguments: [String],
        input: String = ""
    ) async throws
        -> CLIRunner.Result
    {
        let shell = CLIRunner(executablePath: "/bin/sh")
        return try await shell.run(
            ["-c", #"exec "$0" "$@" >/dev/full"#, store.runner.executablePath] + arguments + [
                "--store", store.path, "--durability", "none",
            ],
            input: input
        )
    }

    @Test("add, pop and usage record whose output fails exit 74 saying that the write is stored")
    func writeStoredOutputFailed() async throws {
        let store = try CLIStore()
        let added = try await Self.runToFullDevice(store, ["add", "s"], input: #"{"role":"user","content":"one"}"#)
        #expect(added.status == 74, "\(added.standardError)")
        #expect(
            added.standardError.hasPrefix("agentledger: added 1 item at sequence 1; cannot write the output: "),
            "\(added.standardError)"
        )
        let usage = try await Self.runToFullDevice(
            store,
            [
                "usage", "record", "s", "--requests", "1", "--input-tokens", "1", "--output-tokens", "1",
                "--total-tokens", "2",
            ]
        )
        #expect(usage.status == 74, "\(usage.standardError)")
        #expect(
            usage.standardError.hasPrefix("agentledger: recorded the usage at sequence 2; cannot write the output: "),
            "\(usage.standardError)"
        )
        let popped = try await Self.runToFullDevice(store, ["pop", "s"])
        #expect(popped.status == 74, "\(popped.standardError)")
        #expect(popped.standardError.hasPrefix("agentledger: popped the newest item"), "\(popped.standardError)")
        // All three were written, once.
        #expect(try await store.ok("log", "--json").split(separator: "\n").count == 3)
    }
}
