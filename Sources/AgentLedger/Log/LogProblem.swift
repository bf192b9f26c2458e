/// One problem that ``LogReader/verify(directory:fileSystem:expectedHead:)`` found.
public struct LogProblem: Sendable, Hashable, CustomStringConvertible {
    /// The kind of problem: ``LedgerError/Code/corruptLog`` for damage,
    /// ``LedgerError/Code/truncatedTail`` for an incomplete frame at the very end (a crash, or a
    /// write in progress; opening the store for writing removes it),
    /// ``LedgerError/Code/unsupportedVersion`` for data of a newer format, and
    /// ``LedgerError/Code/io`` when a file could not be read.
    public let code: LedgerError.Code
    /// What is wrong, for a person.
    public let message: String
    /// Where, when the problem is in a segment file.
    public let location: LogLocation?

    /// Creates a problem.
    public init(code: LedgerError.Code, message: String, location: LogLocation?) {
        self.code = code
        self.message = message
        self.location = location
    }

    /// `corruptLog: ... (segment ..., offset ..., sequence ...)`.
    public var description: String {
        if let location {
            return "\(code): \(message) (\(location))"
        }
        return "\(code): \(message)"
    }
}
