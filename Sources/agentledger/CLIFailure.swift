/// An error the command line reports itself: the message printed after `agentledger: ` on
/// standard error, and the exit code (see ``ExitCodes``).
struct CLIFailure: Error, CustomStringConvertible {
    /// The process exit code.
    let exitCode: Int32
    /// What went wrong, for a person.
    let message: String

    init(_ exitCode: Int32, _ message: String) {
        self.exitCode = exitCode
        self.message = message
    }

    /// A usage error (exit 64).
    static func usage(_ message: String) -> CLIFailure {
        CLIFailure(ExitCodes.usage, message)
    }

    /// An input data error (exit 65).
    static func data(_ message: String) -> CLIFailure {
        CLIFailure(ExitCodes.dataError, message)
    }

    var description: String { message }
}
