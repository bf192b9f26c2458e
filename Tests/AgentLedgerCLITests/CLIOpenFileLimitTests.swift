import AgentLedgerTestSupport
import Foundation
import Testing

@Suite("CLI with too few file descriptors: a clear error, and the read model kept")
struct CLIOpenFileLimitTests {
    /// Runs `agentledger ARGUMENTS --store STORE` under `ulimit -n LIMIT` (soft and hard), or
    /// with `softOnly`, under a soft limit of LIMIT and the hard limit the tests have.
    static func run(
        _ store: CLIStore,
        limit: Int,
        softOnly: Bool = false,
        _ arguments: [String]
    ) async throws -> CLIRunner.Result {
        try await run(
            store.runner.executablePath,
            limit: limit,
            softOnly: softOnly,
            arguments + ["--store", store.path]
        )
    }

    /// Runs the binary at `executablePath` with `arguments` alone (no store options) under
    /// `ulimit -n LIMIT`, or with `softOnly` under a soft limit of LIMIT.
    static func run(
        _ executablePath: String,
        limit: Int,
        softOnly: Bool = false,
        _ arguments: [String]
    ) async throws -> CLIRunner.Result {
        let shell = CLIRunner(executablePath: "/bin/sh")
        let limits = softOnly ? "ulimit -Sn \(limit)" : "ulimit -n \(limit)"
        return try await shell.run(["-c", "\(limits) && exec \"$0\" \"$@\"", executablePath] + arguments)
    }

    static func inode(_ path: String) throws -> UInt64 {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return try #require(attributes[.systemFileNumber] as? UInt64)
    }

    @Test(
        "below what a store needs, commands exit 74 naming both limits before they open anything; the read model is never rebuilt for it"
    )
    func tooFewDescriptors() async throws {
        let store = try CLIStore()
        try await store.ok("add", "s", input: #"{"role":"user","content":"kept"}"#)
        let model = store.path + "/views.sqlite"
        let before = try Self.inode(model)
        for (limit, arguments) in [
            (12, ["items", "s"]), (8, ["export"]), (12, ["verify", "--deep"]), (20, ["add", "s"]),
        ] {
            let result = try await Self.run(store, limit: limit, arguments)
            #expect(result.status == 74, "\(arguments): \(result.standardError)")
            #expect(
                result.standardError.contains(
                    "the limit on open files is \(limit) (`ulimit -n`, hard limit \(limit)); a store needs about 32"
                ),
                "\(arguments): \(result.standardError)"
            )
            #expect(!result.standardError.contains("rebuilding"), "\(arguments): \(result.standardError)")
        }
        #expect(try Self.inode(model) == before)
        #expect(try await store.ok("items", "s") == #"[{"role":"user","content":"kept"}]"# + "\n")
    }

    @Test("a soft limit below what a store needs is raised as far as the hard limit allows, and the command runs")
    func softLimitRaised() async throws {
        let store = try CLIStore()
        try await store.ok("add", "s", input: #"{"role":"user","content":"kept"}"#)
        for arguments in [["items", "s"], ["export"], ["verify", "--deep"]] {
            let result = try await Self.run(store, limit: 8, softOnly: true, arguments)
            #expect(result.status == 0, "\(arguments): \(result.standardError)")
            #expect(result.standardOutput.contains("kept") || arguments[0] == "verify", "\(arguments)")
        }
    }

    @Test(
        "help and --version print under a limit too low for a store: only a command that opens a store needs the floor"
    )
    func helpWithFewDescriptors() async throws {
        let executable = try CLIRunner().executablePath
        for arguments in [
            ["--help"], ["items", "--help"], ["help", "items"], ["usage", "show", "--help"], ["--version"],
        ] {
            let result = try await Self.run(executable, limit: 16, arguments)
            #expect(result.status == 0, "\(arguments): \(result.standardError)")
            #expect(result.standardError.isEmpty, "\(arguments): \(result.standardError)")
            let expected = arguments == ["--version"] ? "agentledger 0.1.0" : "USAGE: agentledger"
            #expect(result.standardOutput.contains(expected), "\(arguments): \(result.standardOutput)")
        }
    }
}
