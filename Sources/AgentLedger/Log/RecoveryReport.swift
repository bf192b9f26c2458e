/// What ``EventLog/openForWriting(directory:options:fileSystem:logger:)`` found and repaired.
struct RecoveryReport: Sendable, Equatable {
    /// A torn tail that was cut off.
    struct TruncatedTail: Sendable, Equatable {
        /// The segment file that ended in the torn frame.
        var segment: String
        /// Where the torn frame started; the file now ends here.
        var offset: Int64
        /// How many bytes were removed.
        var bytesCut: Int64
        /// What was wrong with the frame (incomplete, checksum mismatch, ...).
        var reason: String
        /// The sequence number the torn frame would have started with.
        var sequence: UInt64
    }

    /// Segment files found (after any creation).
    var segmentCount = 0
    /// Frames in all segments after recovery.
    var frameCount = 0
    /// The last sequence number in the log after recovery (0 when empty).
    var lastSequence: UInt64 = 0
    /// The store's directories and first segment were created by this open.
    var createdStore = false
    /// The torn tail that was truncated, if any.
    var truncatedTail: TruncatedTail?
    /// Zero bytes after the last frame of the last segment: space reserved by the writer before
    /// (or a write that never reached the disk); kept for the next frames. Not a repair.
    var unusedTailBytes: Int64 = 0
    /// The name of the last segment whose incomplete or damaged header (no frame after it) was
    /// rewritten, if any.
    var repairedSegmentHeader: String?
    /// Entries of the `log/` directory that are not segment files; left alone, and logged.
    var ignoredFiles: [String] = []

    /// Nothing had to be repaired.
    var isClean: Bool {
        truncatedTail == nil && repairedSegmentHeader == nil
    }
}
