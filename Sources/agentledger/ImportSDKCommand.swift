import AgentLedger
import ArgumentParser

/// `agentledger import-sdk-sqlite FILE`: moves an OpenAI Agents SDK SQLiteSession database in.
struct ImportSDKCommand: AsyncParsableCommand, StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-sdk-sqlite",
        abstract: "Import every session of an OpenAI Agents SDK SQLiteSession or AdvancedSQLiteSession database.",
        discussion: """
            Reads the tables agent_sessions and agent_messages (message_data in id order), read-only. From an \
            AdvancedSQLiteSession database (one with message_structure) every branch is imported with the items \
            the SDK reads on it, and main is current afterwards; usage records (turn_usage) are not imported.

            Nothing is written when a row cannot be stored here (message_data that is not a JSON object, an \
            empty session id, ...) unless --skip-invalid, nor when a session already exists in this store \
            unless --append or --resume. An import that stopped (a crash, Ctrl-C, a full disk) has written \
            whole sessions and at most one in part: run it again with --resume to finish it. What was left out \
            is printed as "skipped: ..."; a command the store refused as "refused: ..." (exit 65). An import that takes more than a second shows its progress on standard \
            error, as rebuild does. The items are read into memory first, so that nothing is written when \
            one of them is refused: the import needs about as much memory as the file's messages take.
            """
    )

    @OptionGroup var store: StoreOptions

    @Argument(help: "The SDK's SQLite database file.")
    var file: String

    @Option(help: "The sessions table, if the SDK was given another name.")
    var sessionsTable = "agent_sessions"

    @Option(help: "The messages table, if the SDK was given another name.")
    var messagesTable = "agent_messages"

    @Flag(help: "Leave out the rows and sessions this store cannot hold, and list them, instead of importing nothing.")
    var skipInvalid = false

    @Flag(help: "Import into sessions that already exist in this store, after their items.")
    var append = false

    @Flag(
        help: ArgumentHelp(
            "Finish an import of this file that stopped.",
            discussion: """
                Sessions this store holds as the import writes them are skipped; one that holds only the first \
                of the file's items on main gets the rest; any other session that exists here refuses the \
                import, and nothing is written.
                """
        )
    )
    var resume = false

    func validate() throws {
        // Before the store is opened: the library refuses the pair too, but only once it has
        // created the store, and as invalid data (65).
        if append && resume {
            throw ValidationError(
                "give --append (add the file's items to sessions that exist) or --resume (finish a stopped "
                    + "import of this file), not both"
            )
        }
    }

    func run() async throws {
        let summary: ImportSummary
        let reporter = ProgressReporter("import", quietFor: .seconds(1))
        do {
            // Read and checked before the store is opened: a mistyped path or a file that is
            // not the SDK's must not leave a new, empty store.
            let database = try await Ledger.readSDKDatabase(
                at: file,
                sessionsTable: sessionsTable,
                messagesTable: messagesTable,
                skippingInvalid: skipInvalid,
                maxItemBytes: store.ledgerOptions().maxItemBytes
            )
            summary = try await reporter.finishing {
                try await store.withLedger(.write) { ledger in
                    // Ctrl-C stops between two group commits, saying which sessions are in.
                    try await Interruption.cancellingOnSignals {
                        try await ledger.importSDK(database, appending: append, resuming: resume) {
                            reporter.report($0)
                        }
                    }
                }
            }
        } catch let error as LedgerError where error.code == .notFound {
            throw CLIFailure(ExitCodes.noInput, error.message)
        } catch let error as LedgerError where error.code == .invalidItem || error.code == .invalidArgument {
            let isRow = error.message.contains("is not importable")
            throw CLIFailure.data(
                error.message + (isRow ? "; nothing was imported (--skip-invalid imports the rest)" : "")
            )
        } catch let error as LedgerError where error.code == .conflict {
            throw CLIFailure.data(
                error.message + (append || resume ? "" : " (--append, or --resume to finish a stopped import)")
            )
        }
        var output = OutputBuffer()
        let imported = "imported \(counted(summary.items, "item")) of \(counted(summary.sessions, "session"))"
        output.line(imported)
        for skipped in summary.skipped {
            output.line("skipped: " + OutputBuffer.shown(skipped))
        }
        for refusal in summary.refused {
            output.line("refused: " + OutputBuffer.shown(refusal))
        }
        try output.flush(afterWriting: imported)
        if !summary.refused.isEmpty {
            throw ExitCode(ExitCodes.dataError)
        }
    }
}
