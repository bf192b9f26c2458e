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

    @OptionGroup var target: BranchReadOptions

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func run() async throws {
        let turns = try await target.read(store) { session in
            try await session.conversationTurns(branch: target.branch, asOf: target.asOf)
        }
        var output = OutputBuffer()
        TurnOutput.write(turns, json: json, to: &output)
        try output.flush()
    }
}
