import AgentLedger
import AgentLedgerTestSupport
import Foundation
import Testing

/// A temporary directory for a store (removed when the value is released) and the built
/// binary to run against it. Every run gets `--store` (and `--durability none`, unless the test
/// gives a durability) appended to its arguments.
final class CLIStore: Sendable {
    /// The temporary directory; the store is `store` in it.
    let root: String
    let runner: CLIRunner

    var path: String { root + "/store" }

    init() throws {
        root = FileManager.default.temporaryDirectory.path + "/agentledger-cli-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        runner = try CLIRunner()
    }

    deinit {
        try? FileManager.default.removeItem(atPath: root)
    }

    /// Runs `agentledger` with `arguments` plus the store options.
    func run(_ arguments: String..., input: String = "") async throws -> CLIRunner.Result {
        try await run(arguments, input: input)
    }

    /// Runs `agentledger` with `arguments` plus the store options.
    func run(_ arguments: [String], input: String = "") async throws -> CLIRunner.Result {
        var all = arguments + ["--store", path]
        if !arguments.contains("--durability") {
            all += ["--durability", "none"]
        }
        return try await runner.run(all, input: input)
    }

    /// Runs a command that must succeed, and returns its standard output.
    @discardableResult
    func ok(
        _ arguments: String...,
        input: String = "",
        sourceLocation: SourceLocation = #_sourceLocation
    )
        async throws -> String
    {
        let result = try await run(arguments, input: input)
        #expect(
            result.status == 0,
            "agentledger \(arguments.joined(separator: " ")) exited \(result.status): \(result.standardError)",
            sourceLocation: sourceLocation
        )
        return result.standardOutput
    }

    /// Runs the command an interrupted or failed `import` prints to finish it, through the
    /// shell: `tail -n +LINE INPUT | agentledger import --append --store PATH`, with `options`
    /// after it.
    func finishImport(fromLine line: Int, of input: String, _ options: [String] = []) async throws -> CLIRunner.Result {
        try await CLIRunner(executablePath: "/bin/sh").run(
            [
                "-c", #"l=$1 i=$2 p=$3; shift 3; tail -n +"$l" "$i" | "$0" import --append --store "$p" "$@""#,
                runner.executablePath, "\(line)", input, path,
            ] + options,
            timeoutSeconds: 300
        )
    }

    /// Parses JSON output with the library's strict parser.
    static func json(_ text: String) throws -> JSONValue {
        try JSONValue(parsing: text)
    }
}
