import AgentLedger

/// The exit codes of `agentledger`, from BSD's `sysexits.h`, and how a ``LedgerError`` maps to them.
///
/// | code | meaning |
/// |---|---|
/// | 0 | success |
/// | 1 | a verification found a problem |
/// | 64 | usage: a bad flag, argument or option value (a negative limit, say) |
/// | 65 | invalid input data: bad JSON or items, an unknown branch or turn, a name conflict, a bad search query |
/// | 66 | no store at the given directory, or an input file that cannot be read |
/// | 70 | an internal error |
/// | 74 | a damaged store or an I/O failure |
/// | 75 | the store is locked by another process: a writer, or a reading command repairing it or catching up its read model (the message names its pid) |
/// | 130 | interrupted (SIGINT or SIGTERM) where the command stops cleanly and says where: `import`, `import-sdk-sqlite` |
enum ExitCodes {
    /// The command did what was asked.
    static let success: Int32 = 0
    /// A verification ran and found a problem.
    static let verificationFailed: Int32 = 1
    /// The command line is wrong (EX_USAGE).
    static let usage: Int32 = 64
    /// The input data is wrong (EX_DATAERR).
    static let dataError: Int32 = 65
    /// An input (the store, a file) does not exist (EX_NOINPUT).
    static let noInput: Int32 = 66
    /// An internal error (EX_SOFTWARE).
    static let software: Int32 = 70
    /// A damaged store or a failed read or write (EX_IOERR).
    static let ioError: Int32 = 74
    /// Try again later: another process (a writer, or a reader catching up the read model) holds
    /// the store's writer lock (EX_TEMPFAIL).
    static let temporaryFailure: Int32 = 75
    /// Interrupted by SIGINT or SIGTERM, and stopped cleanly (128 + SIGINT, as shells report it).
    static let interrupted: Int32 = 130

    /// The exit code for a library error.
    static func code(for error: LedgerError) -> Int32 {
        switch error.code {
        case .invalidArgument, .invalidItem, .notFound, .conflict:
            dataError
        case .storeLocked, .readOnly:
            temporaryFailure
        case .corruptLog, .truncatedTail, .unsupportedVersion, .io, .sqlite, .writerFailed:
            ioError
        case .cancelled:
            interrupted
        default:
            software
        }
    }
}
