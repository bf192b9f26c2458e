import AgentLedger
import Foundation
import Logging

/// Runs one mode of ledger-torture and returns the process exit code.
enum TortureCommand {
    /// The store is locked by another writer (EX_TEMPFAIL, as the CLI).
    static let lockedExitCode: Int32 = 75
    /// A check failed.
    static let checkFailedExitCode: Int32 = 1
    /// The command line is wrong (EX_USAGE).
    static let usageExitCode: Int32 = 64
    /// An unexpected error (EX_SOFTWARE).
    static let errorExitCode: Int32 = 70

    static func run(_ arguments: TortureArguments) async -> Int32 {
        do {
            switch arguments.mode {
            case "append":
                return try await AppendMode(arguments).run()
            case "race":
                return try await RaceMode(arguments).run()
            case "batches":
                return try await BatchWriterMode(arguments).run()
            case "read":
                return try await ReaderMode(arguments).run()
            case "resources":
                return try await ResourceMode(arguments).run()
            case "soak":
                return try await SoakMode(arguments).run()
            case "open":
                return try await OpenMode(arguments).run()
            default:
                TortureOutput.error(
                    "unknown mode '\(arguments.mode)'; modes: append, race, batches, read, resources, soak, open"
                )
                return usageExitCode
            }
        } catch let error as TortureArguments.UsageError {
            TortureOutput.error(error.description)
            return usageExitCode
        } catch let error as LedgerError where error.code == .storeLocked {
            TortureOutput.line("locked \(error.message)")
            TortureOutput.error(error.message)
            return lockedExitCode
        } catch {
            TortureOutput.line("error \(error)")
            TortureOutput.error("\(error)")
            return errorExitCode
        }
    }

    /// Options for a writer in a child: library logs on standard error, warnings and worse.
    static func options(durability: Durability = .fsync, readOnly: Bool = false) -> LedgerOptions {
        LedgerOptions(
            durability: durability,
            readOnly: readOnly,
            lockWait: .zero,
            logger: Logger(label: "ledger-torture")
        )
    }

    /// A user item whose content is `text` (which must need no JSON escaping).
    static func item(_ text: String) -> SessionItem {
        // The text is ASCII without quotes or backslashes, so the JSON is valid by construction.
        try! SessionItem(json: #"{"role":"user","content":""# + text + #""}"#)
    }

    /// Milliseconds since 1970.
    static func nowMilliseconds() -> Int64 {
        Int64(Date().timeIntervalSince1970 * 1000)
    }
}
