/// The result of ``LogReader/verify(directory:fileSystem:expectedHead:)``: every problem found,
/// and what the log holds.
public struct LogVerification: Sendable {
    /// Every problem found, in log order. Empty when the log is intact.
    public var problems: [LogProblem] = []
    /// The head: the last sequence number of the last valid frame and that frame's hash
    /// (sequence 0 and zeros for an empty log).
    public var head = LogHead(sequence: 0, hash: [UInt8](repeating: 0, count: 32))
    /// Segment files checked.
    public var segmentCount = 0
    /// Valid frames read.
    public var frameCount = 0
    /// Events in the valid frames.
    public var eventCount: UInt64 = 0
    /// Bytes the log holds: the segment files up to the end of their frames, without
    /// ``unusedByteCount``.
    public var byteCount: Int64 = 0
    /// Zero bytes after the last frame of the last segment: space the writer reserves ahead of
    /// its frames (removed when the store closes), not a problem.
    public var unusedByteCount: Int64 = 0
    /// Total size of the valid frames' payloads after decompression, in bytes.
    public var payloadByteCount: Int64 = 0
    /// Whether the expected head given to the verification matched; `nil` when none was given.
    public var expectedHeadMatched: Bool?

    /// The log has no problem at all.
    public var isIntact: Bool {
        problems.isEmpty
    }

    /// The log has a problem other than a torn tail (which opening the store for writing
    /// repairs, and which a write in progress can show).
    public var hasCorruption: Bool {
        problems.contains { $0.code != .truncatedTail }
    }

    /// The last sequence number of the last valid frame.
    public var lastSequence: UInt64 {
        head.sequence
    }

    /// The head hash as 64 lowercase hexadecimal digits.
    public var headHashHex: String {
        head.hashHex
    }
}
