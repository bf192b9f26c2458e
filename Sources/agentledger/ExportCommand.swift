import AgentLedger
import ArgumentParser

/// `agentledger export`: the events as JSON Lines, for moving, merging or jq.
struct ExportCommand: AsyncParsableCommand, StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Print the events as JSON Lines (the format of `log --json`), for `import` or jq."
    )

    @OptionGroup var store: StoreOptions

    @Option(help: "Only this session's events.")
    var session: String?

    mutating func validate() throws {
        // As `log --session`: an empty id (an unset shell variable, say) matches no event, and
        // exporting nothing with exit 0 would pass for a complete export.
        if let session {
            try ArgumentChecks.session(session)
        }
    }

    func run() async throws {
        try await store.withLedger(.readOnly) { ledger in
            var output = OutputBuffer()
            var count = 0
            for try await event in try ledger.events(EventFilter(sessionID: session)) {
                output.line(EventFormatter.json(event))
                count += 1
                if count % 1000 == 0 || output.isFull {
                    try output.flush()
                }
            }
            try output.flush()
        }
    }
}
