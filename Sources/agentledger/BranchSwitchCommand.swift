import AgentLedger
import ArgumentParser

/// `agentledger branch switch SESSION NAME`.
struct BranchSwitchCommand: AsyncParsableCommand, StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "switch",
        abstract: "Make a branch the session's current branch.",
        discussion: "Prints nothing. An unknown or deleted branch exits 65."
    )

    @OptionGroup var store: StoreOptions

    @Argument(help: "The session id.")
    var session: String

    @Argument(help: "The branch name.")
    var name: String

    mutating func validate() throws {
        try ArgumentChecks.session(session)
    }

    func run() async throws {
        try await store.withLedger(.write) { ledger in
            try await ledger.session(session).switchToBranch(name)
        }
    }
}
