import AgentLedger
import ArgumentParser

/// `agentledger import-sdk-sqlite FILE`: moves an OpenAI Agents SDK SQLiteSession database in.
struct ImportSDKCommand: AsyncParsableCommand, StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-sdk-sqlite",
        abstract: "Import every session of an OpenAI Agents SDK SQLiteSession database.",
        discussion: "Reads the tables agent_sessions and agent_messages (message_data in id order), read-only."
    )

    @OptionGroup var store: StoreOptions

    @Argument(help: "The SDK's SQLite database file.")
    var file: String

    @Option(help: "The sessions table, if the SDK was given another name.")
    var sessionsTable = "agent_sessions"

    @Option(help: "The messages table, if the SDK was given another name.")
    var messagesTable = "agent_messages"

    func run() async throws {
        let summary: ImportSummary
        do {
            summary = try await store.withLedger(.write) { ledger in
                try await ledger.importSDKSQLite(
                    at: file,
                    sessionsTable: sessionsTable,
                    messagesTable: messagesTable
                )
            }
        } catch let error as LedgerError where error.code == .notFound {
            throw CLIFailure(ExitCodes.noInput, error.message)
        }
        var output = OutputBuffer()
        output.line("imported \(summary.items) items of \(summary.sessions) sessions")
        try output.flush()
    }
}
