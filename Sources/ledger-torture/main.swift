// ledger-torture: the child process of the crash and multi-process tests
// (Tests/AgentLedgerTests/Reliability*.swift; see RELIABILITY.md). It is not a user tool.
//
//     ledger-torture <mode> --store DIR [--option value ...]
//
// Every line it prints on standard output is one record, written with a single write(2) so that a
// parent reading a pipe never sees half a line, even after a SIGKILL. Library logs go to standard
// error. Exit codes: 0 success, 1 a check failed, 64 bad usage, 70 an unexpected error, 75 the
// store is locked by another writer (the message, printed on both streams, names its pid).
import Logging

LoggingSystem.bootstrap { label in
    var handler = StreamLogHandler.standardError(label: label)
    handler.logLevel = .warning
    return handler
}
let code = await TortureCommand.run(TortureArguments(Array(CommandLine.arguments.dropFirst())))
TortureOutput.exit(code)
