import AgentLedger
import ArgumentParser

/// `agentledger turns SESSION [--branch B] [--json] [--as-of-seq N | --as-of-time T]`.
struct TurnsCommand: AsyncParsableCommand, StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "turns",
        abstract: "List the user turns of a branch (default: the current one).",
        discussion: """
            Columns: TURN, SEQ (the event that added the user item), TIME, PREVIEW (the content cut \
            to 100 characters). With --json, an array of {"turn","seq","time","preview","content"}. \
            An unknown branch exits 65.
            """
    )

    @OptionGroup var store: StoreOptions

    @Argument(help: "The session id.")
    var session: String

    @Option(name: .long, help: ArgumentHelp("Read this branch instead of the current one.", valueName: "branch"))
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
            return try await session.conversationTurns(branch: branch, asOf: asOf.asOf)
        }
        var output = OutputBuffer()
        TurnOutput.write(turns, json: json, to: &output)
        try output.flush()
    }
}
