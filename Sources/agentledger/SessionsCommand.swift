import AgentLedger
import ArgumentParser

/// `agentledger sessions [--json]`: every session of the store.
struct SessionsCommand: AsyncParsableCommand, StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "sessions",
        abstract: "List the sessions of the store, most recent activity first.",
        discussion: """
            Columns: SESSION, ITEMS (on the current branch), BRANCH (the current one), LAST ACTIVITY. \
            With --json, an array of {"session","items","branch","first_seq","last_seq","last_activity"}.
            """
    )

    @OptionGroup var store: StoreOptions

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func run() async throws {
        let sessions = try await store.withLedger(.read) { ledger in
            try await ledger.sessions()
        }
        var output = OutputBuffer()
        if json {
            output.line(
                JSONText.array(
                    sessions.map { summary in
                        var object = JSONText()
                        object.string("session", summary.sessionID)
                        object.number("items", summary.itemCount)
                        object.string("branch", summary.currentBranch)
                        object.number("first_seq", summary.firstSequence)
                        object.number("last_seq", summary.lastSequence)
                        object.string("last_activity", Timestamp.format(summary.lastActivity))
                        return object.object
                    }
                )
            )
        } else {
            var table = TextTable(["SESSION", "ITEMS", "BRANCH", "LAST ACTIVITY"])
            for summary in sessions {
                table.add([
                    summary.sessionID, "\(summary.itemCount)", summary.currentBranch,
                    Timestamp.format(summary.lastActivity),
                ])
            }
            for line in table.lines {
                output.line(line)
            }
        }
        try output.flush()
    }
}
