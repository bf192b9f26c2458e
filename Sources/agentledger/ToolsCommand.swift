import AgentLedger
import ArgumentParser

/// `agentledger tools SESSION [--branch B] [--json] [--as-of-seq N | --as-of-time T]`.
struct ToolsCommand: AsyncParsableCommand, StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "tools",
        abstract: "Count tool calls per tool and turn on a branch (default: the current one).",
        discussion: """
            Columns: TURN, TOOL, CALLS, ordered by turn. Outputs are not counted. Calls without a \
            tool name (a function_call without a name, ...) count together under TOOL "(none)". \
            With --json, an array of {"turn","tool","calls"}, "tool" null for those. An unknown \
            branch exits 65.
            """
    )

    @OptionGroup var store: StoreOptions

    @OptionGroup var target: BranchReadOptions

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func run() async throws {
        let uses = try await target.read(store) { session in
            try await session.toolUsage(branch: target.branch, asOf: target.asOf)
        }
        var output = OutputBuffer()
        if json {
            output.line(
                JSONText.array(
                    uses.map { use in
                        var object = JSONText()
                        object.number("turn", use.turn)
                        object.string("tool", use.toolName)
                        object.number("calls", use.callCount)
                        return object.object
                    }
                )
            )
        } else {
            var table = TextTable(["TURN", "TOOL", "CALLS"])
            for use in uses {
                table.add(["\(use.turn)", use.toolName ?? "(none)", "\(use.callCount)"])
            }
            for line in table.lines {
                output.line(line)
            }
        }
        try output.flush()
    }
}
