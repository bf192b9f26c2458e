import AgentLedger
import ArgumentParser
import Logging

/// `agentledger`: the command line of an AgentLedger store.
@main
struct AgentLedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agentledger",
        abstract: "An event-sourced conversation memory for AI agents.",
        discussion: """
            Every command works on one store directory: --store DIR, else $AGENTLEDGER_STORE, else \
            ./.agentledger; an empty --store or a set but empty AGENTLEDGER_STORE is a usage error \
            (exit 64), never the default. Writing commands create the store; reading commands need an \
            existing one (exit 66 otherwise) and read it read-only while another process writes to it.

            Item JSON is printed exactly as it was added, byte for byte. Times are ISO 8601 in UTC \
            with microseconds.

            Exit codes: 0 success; 1 verification failure; 64 usage (bad flag or value, negative \
            limit); 65 invalid input data (bad JSON or item, unknown branch or turn, name conflict, \
            bad search query); 66 no store or unreadable input file; 70 internal error; 74 damaged \
            store or I/O failure (a store directory this user cannot write to among them); 75 the \
            store is locked by another process (a writer, or a reading command repairing the store \
            or catching up its read model; the message names its pid). Errors \
            are printed on standard error as "agentledger: <message>".
            """,
        version: "agentledger 0.1.0 (log format 1)",
        subcommands: [
            AddCommand.self,
            ItemsCommand.self,
            PopCommand.self,
            ClearCommand.self,
            SessionsCommand.self,
            StatsCommand.self,
            BranchCommand.self,
            TurnsCommand.self,
            FindCommand.self,
            ToolsCommand.self,
            UsageCommand.self,
            SearchCommand.self,
            LogCommand.self,
            VerifyCommand.self,
            RebuildCommand.self,
            CheckoutCommand.self,
            ExportCommand.self,
            ImportCommand.self,
            ImportSDKCommand.self,
            BenchCommand.self,
        ]
    )

    /// Refuses an argument that is not valid UTF-8, parses the command line, sets up logging,
    /// makes sure of enough file descriptors (``DescriptorFloor``) when the command opens a store,
    /// runs the command, and exits with the code of its outcome (see ``ExitCodes``).
    nonisolated static func main() async {
        RawArguments.refuseNonUTF8()
        let arguments = Array(CommandLine.arguments.dropFirst())
        // `help itmes` would print the top-level help, as if the word were not there.
        if arguments.first == "help", let hint = UnknownCommandHint.hint(for: Array(arguments.dropFirst())) {
            OutputBuffer.printError("help: " + hint)
            exit(withError: ExitCode(ExitCodes.usage))
        }
        let command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            let code = exitCode(for: error)
            guard code != .success else {
                exit(withError: error)  // --help and --version print to standard output
            }
            // The parser writes "Error: ..."; every other error of this tool is "agentledger: ...".
            var message = fullMessage(for: error)
            if message.hasPrefix("Error: ") {
                message.removeFirst("Error: ".count)
            }
            if code == ExitCode(ExitCodes.usage),
                let hint = OptionOrderHint.hint(for: arguments) ?? UnknownCommandHint.hint(for: arguments)
            {
                message += (message.hasSuffix("\n") ? "" : "\n") + hint
            }
            OutputBuffer.printError(message)
            exit(withError: code)
        }
        let verbose = (command as? any StoreCommand)?.store.verbose ?? false
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = verbose ? .info : .warning
            return handler
        }
        do {
            // Help (`--help`, `help items`, a parent command such as `branch`) opens no store, and
            // must print whatever the limit on open files is.
            if opensStore(command) {
                try DescriptorFloor.ensure()
            }
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                var command = command
                try command.run()
            }
        } catch let failure as CLIFailure {
            OutputBuffer.printError(failure.message)
            exit(withError: ExitCode(failure.exitCode))
        } catch let error as LedgerError {
            var message = error.message
            if let location = error.location {
                message += " (\(location))"
            }
            OutputBuffer.printError(message)
            exit(withError: ExitCode(ExitCodes.code(for: error)))
        } catch let error where error is ExitCode || exitCode(for: error) != .failure {
            // The parser's own outcomes: help (0), usage errors (64), an explicit exit code.
            exit(withError: error)
        } catch {
            OutputBuffer.printError("internal error: \(error)")
            exit(withError: ExitCode(ExitCodes.software))
        }
    }

    /// Whether `command` opens a store, and so needs ``DescriptorFloor``: a ``StoreCommand``, or
    /// `bench`, which opens stores of its own.
    private static func opensStore(_ command: any ParsableCommand) -> Bool {
        command is any StoreCommand || command is BenchCommand
    }
}
