import AgentLedger
import ArgumentParser

/// `agentledger clear SESSION`: removes every item of a session.
struct ClearCommand: AsyncParsableCommand, StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "clear",
        abstract: "Remove every item of a session, on every branch, and make 'main' current again.",
        discussion: "Prints nothing. The history stays in the log; branch names used before stay reserved."
    )

    @OptionGroup var store: StoreOptions

    @Argument(help: "The session id.")
    var session: String

    mutating func validate() throws {
        try ArgumentChecks.session(session)
    }

    func run() async throws {
        try await store.withLedger(.write) { ledger in
            try await ledger.session(session).clearSession()
        }
    }
}
