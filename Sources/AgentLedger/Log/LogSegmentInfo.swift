/// One segment of the log as the writer knows it after recovery and appends.
struct LogSegmentInfo: Sendable, Equatable {
    /// The file name, such as `00000000000000000001.seg`.
    var name: String
    /// The sequence number of the segment's first event.
    var baseSequence: UInt64
    /// The sequence number of the segment's last event; `baseSequence - 1` when it holds none.
    var lastSequence: UInt64
    /// Number of frames in the segment.
    var frameCount: Int
    /// Size of the file in bytes (header included).
    var byteCount: Int64
}
