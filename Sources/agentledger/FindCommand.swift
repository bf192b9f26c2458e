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

    @Argument(help: "The session id.")
    var session: String

    @Argument(help: "The text to look for; '%', '_', quotes and backslashes are literal.")
    var text: String

    @Option(name: .long, help: ArgumentHelp("Search this branch instead of the current one.", valueName: "branch"))
    var branch: String?

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    @OptionGroup var asOf: AsOfOptions

    mutating func validate() throws {
        try ArgumentChecks.session(session)
    }

    func run() async throws {
        let turns = try await store.withLedger(.read) { ledger in
            let session = ledger.session(session)
            try await session.requireBranch(branch, asOf: asOf.asOf)
            return try await session.findTurns(containing: text, branch: branch, asOf: asOf.asOf)
        }
        var output = OutputBuffer()
        TurnOutput.write(turns, json: json, to: &output)
        try output.flush()
    }
}
