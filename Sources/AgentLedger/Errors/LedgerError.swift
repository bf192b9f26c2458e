/// The one error type AgentLedger throws.
///
/// Every error carries a ``Code`` that a program can switch on, a message a person can act on,
/// and, where one exists, the underlying error. Errors about a damaged log also carry the
/// ``LogLocation`` of the damage.
///
/// ```swift
/// do {
///     try await session.addItems(items)
/// } catch let error as LedgerError where error.code == .invalidItem {
///     print(error.message)  // "item 3 is not a JSON object: ..."
/// }
/// ```
public struct LedgerError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is. Compare with the static constants, such as ``closed``.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's stable name, as printed in messages and by the CLI.
        public let name: String

        init(_ name: String) {
            self.name = name
        }

        /// A readable form of the code: its name.
        public var description: String { name }

        /// The store was closed; no operation is possible on it any more.
        public static let closed = Code("closed")
        /// An argument is outside its domain: a negative limit, a blank branch name, an FTS syntax error.
        public static let invalidArgument = Code("invalidArgument")
        /// An item is not valid: not JSON, not a JSON object, or larger than `maxItemBytes`.
        public static let invalidItem = Code("invalidItem")
        /// Another process holds the store's writer lock.
        public static let storeLocked = Code("storeLocked")
        /// The log is damaged before its tail: a checksum, sequence or hash chain failure.
        public static let corruptLog = Code("corruptLog")
        /// The log ends in an incomplete frame (reported during recovery, repaired by truncation).
        public static let truncatedTail = Code("truncatedTail")
        /// The log was written by a newer version of AgentLedger.
        public static let unsupportedVersion = Code("unsupportedVersion")
        /// A read or write of a file failed.
        public static let io = Code("io")
        /// The read model (SQLite) failed.
        public static let sqlite = Code("sqlite")
        /// A session, branch or turn that the operation needs does not exist.
        public static let notFound = Code("notFound")
        /// The operation conflicts with the session's state: a name already used, deleting `main`.
        public static let conflict = Code("conflict")
        /// An earlier write failed, and recovering from it failed too (the message says why).
        /// When the read model failed, every query and write first catches it up from the log;
        /// when the log's write or fsync failed, the next write first recovers the log in place
        /// (at most once per ``LedgerOptions/logRecoveryInterval``, refusing writes at once in
        /// between); either way the store goes on once that succeeds, without a reopen.
        public static let writerFailed = Code("writerFailed")
        /// The store was opened read-only and the operation would write.
        public static let readOnly = Code("readOnly")
        /// The task running a query was cancelled before the query answered. Queries can be
        /// cancelled; writes cannot: a write that was called runs to its end, is stored, and
        /// returns its outcome, so that no history is lost to a cancelled agent run.
        public static let cancelled = Code("cancelled")
    }

    /// What kind of failure this is.
    public let code: Code
    /// A message that says what went wrong and, where possible, what to do.
    public let message: String
    /// Where in the log the problem is, for log damage.
    public let location: LogLocation?
    /// The error that caused this one, if any.
    public let underlying: (any Error & Sendable)?

    /// Creates an error.
    public init(
        _ code: Code,
        _ message: String,
        location: LogLocation? = nil,
        underlying: (any Error & Sendable)? = nil
    ) {
        self.code = code
        self.message = message
        self.location = location
        self.underlying = underlying
    }

    /// The code and message, then the location and the underlying error when present.
    public var description: String {
        var text = "\(code): \(message)"
        if let location {
            text += " (\(location))"
        }
        if let underlying {
            text += " [\(underlying)]"
        }
        return text
    }
}

/// A place in the log: the segment file, the byte offset in it, and the sequence number there.
public struct LogLocation: Hashable, Sendable, CustomStringConvertible {
    /// The segment file's name, such as `00000000000000000001.seg`.
    public let segment: String
    /// The byte offset within the segment file.
    public let offset: Int64
    /// The sequence number at that place (the first of its frame), when known.
    public let sequence: UInt64?

    /// Creates a location.
    public init(segment: String, offset: Int64, sequence: UInt64?) {
        self.segment = segment
        self.offset = offset
        self.sequence = sequence
    }

    /// `segment 0000…1.seg, offset 4096, sequence 17`.
    public var description: String {
        var text = "segment \(segment), offset \(offset)"
        if let sequence {
            text += ", sequence \(sequence)"
        }
        return text
    }
}
