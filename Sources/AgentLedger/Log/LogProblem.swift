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
    /// The last sequence number whose events are intact before this problem, when it is not the
    /// one before ``location``'s: a segment that starts past a gap names its own first sequence
    /// number, while the events before the gap end earlier.
    public let intactThrough: UInt64?

    /// Creates a problem.
    public init(code: LedgerError.Code, message: String, location: LogLocation?, intactThrough: UInt64? = nil) {
        self.code = code
        self.message = message
        self.location = location
        self.intactThrough = intactThrough
    }

    /// `corruptLog: ... (segment ..., offset ..., sequence ...)`.
    public var description: String {
        if let location {
            return "\(code): \(message) (\(location))"
        }
        return "\(code): \(message)"
    }
}
