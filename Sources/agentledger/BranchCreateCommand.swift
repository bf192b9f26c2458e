import AgentLedger
import ArgumentParser

/// `agentledger branch create SESSION (--from-turn N | --from-turn-containing TEXT) [--name NAME]`.
struct BranchCreateCommand: AsyncParsableCommand, StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create a branch from a user turn of the current branch, make it current, and print its name.",
        discussion: """
            The new branch holds the turns before the one given. Without --name the name is \
            branch_from_turn_<n>_<unix seconds>. A turn the current branch does not have exits 65; \
            a --from-turn below 1 exits 64.
            """
    )

    @OptionGroup var store: StoreOptions

    @Argument(help: "The session id.")
    var session: String

    @Option(
        name: .long,
        parsing: .unconditional,
        help: ArgumentHelp("Branch from this user turn (1, 2, ...).", valueName: "n")
    )
    var fromTurn: Int?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Branch from the earliest user turn containing this text (literal, case-insensitive).",
            valueName: "text"
        )
    )
    var fromTurnContaining: String?

    @Option(name: .long, help: ArgumentHelp("The new branch's name.", valueName: "name"))
    var name: String?

    mutating func validate() throws {
        try ArgumentChecks.session(session)
        // A turn below 1 is a bad value, as for `usage show --turn`, not an unknown turn (65).
        try ArgumentChecks.turn(fromTurn, "--from-turn")
        switch (fromTurn, fromTurnContaining) {
        case (nil, nil):
            throw ValidationError("give --from-turn N or --from-turn-containing TEXT")
        case (.some, .some):
            throw ValidationError("give --from-turn or --from-turn-containing, not both")
        default:
            break
        }
    }

    func run() async throws {
        let created = try await store.withLedger(.write) { ledger in
            let session = ledger.session(session)
            if let fromTurn {
                return try await session.createBranch(fromTurn: fromTurn, named: name)
            }
            return try await session.createBranch(fromTurnContaining: fromTurnContaining ?? "", named: name)
        }
        var output = OutputBuffer()
        output.line(created)
        try output.flush(afterWriting: "created the branch '\(created)' and made it current")
    }
}
