import AgentLedger
import ArgumentParser

/// `agentledger find SESSION TEXT [--branch B] [--json] [--as-of-seq N | --as-of-time T]`.
struct FindCommand: AsyncParsableCommand, StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "find",
        abstract: "List the user turns whose content contains a text (literal, case-insensitive).",
        discussion: "Same output as `agentledger turns`. An unknown branch exits 65."
    )

    @OptionGroup var store: StoreOptions

    @OptionGroup var target: BranchReadOptions

    @Argument(help: "The text to look for; '%', '_', quotes and backslashes are literal.")
    var text: String

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func run() async throws {
        let turns = try await target.read(store) { session in
            try await session.findTurns(containing: text, branch: target.branch, asOf: target.asOf)
        }
        var output = OutputBuffer()
        TurnOutput.write(turns, json: json, to: &output)
        try output.flush()
    }
}
