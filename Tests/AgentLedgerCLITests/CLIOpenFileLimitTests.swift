import AgentLedgerTestSupport
import Foundation
import Testing

@Suite("CLI with too few file descriptors: a clear error, and the read model kept")
struct CLIOpenFileLimitTests {
    /// Runs `agentledger ARGUMENTS --store STORE` under `ulimit -n LIMIT`.
    static func run(_ store: CLIStore, limit: Int, _ arguments: [String]) async throws -> CLIRunner.Result {
        let shell = CLIRunner(executablePath: "/bin/sh")
        return try await shell.run(
            ["-c", "ulimit -n \(limit) && exec \"$0\" \"$@\"", store.runner.executablePath] + arguments + [
                "--store", store.path,
            ]
        )
    }

    static func inode(_ path: String) throws -> UInt64 {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return try #require(attributes[.systemFileNumber] as? UInt64)
    }

    @Test("reading commands exit 74 naming the limit, and never rebuild the read model for it")
    func tooFewDescriptors() async throws {
        let store = try CLIStore()
        try await store.ok("add", "s", input: #"{"role":"user","content":"kept"}"#)
        let model = store.path + "/views.sqlite"
        let before = try Self.inode(model)
        for (limit, arguments) in [(12, ["items", "s"]), (8, ["export"]), (12, ["verify", "--deep"])] {
            let result = try await Self.run(store, limit: limit, arguments)
            #expect(result.status == 74, "\(arguments): \(result.standardError)")
            #expect(
                result.standardError.contains("the limit on open files is \(limit)"),
                "\(arguments): \(result.standardError)"
            )
            #expect(!result.standardError.contains("rebuilding"), "\(arguments): \(result.standardError)")
        }
        #expect(try Self.inode(model) == before)
        #expect(try await store.ok("items", "s") == #"[{"role":"user","content":"kept"}]"# + "\n")
    }
}
