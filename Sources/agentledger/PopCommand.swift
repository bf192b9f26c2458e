import AgentLedger
import ArgumentParser

/// `agentledger pop SESSION`: removes the newest item of the current branch.
struct PopCommand: AsyncParsableCommand, StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "pop",
        abstract: "Remove the newest item of the session's current branch and print it (null when empty).",
        discussion: "The item stays in the log, in the pop event (see `agentledger log`)."
    )

    @OptionGroup var store: StoreOptions

    @Argument(help: "The session id.")
    var session: String

    mutating func validate() throws {
        try ArgumentChecks.session(session)
    }

    func run() async throws {
        let item = try await store.withLedger(.write) { ledger in
            try await ledger.session(session).popItem()
        }
        var output = OutputBuffer()
        guard let item else {
            output.line("null")
            try output.flush()
            return
        }
        output.append(bytes: item.jsonBytes)
        output.line("")
        try output.flush(afterWriting: "popped the newest item (the log keeps it: agentledger log --kind item_popped)")
    }
}
