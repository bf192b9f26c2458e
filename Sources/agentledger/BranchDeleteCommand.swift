import AgentLedger
import ArgumentParser

/// `agentledger branch delete SESSION NAME [--force]`.
struct BranchDeleteCommand: AsyncParsableCommand, StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete a branch; its name stays reserved.",
        discussion: """
            Prints nothing. 'main' cannot be deleted; the current branch only with --force (the \
            session then switches to 'main'). Items shared with other branches stay there.
            """
    )

    @OptionGroup var store: StoreOptions

    @Argument(help: "The session id.")
    var session: String

    @Argument(help: "The branch name.")
    var name: String

    @Flag(name: .long, help: "Allow deleting the current branch.")
    var force = false

    mutating func validate() throws {
        try ArgumentChecks.session(session)
    }

    func run() async throws {
        try await store.withLedger(.write) { ledger in
            try await ledger.session(session).deleteBranch(name, force: force)
        }
    }
}
