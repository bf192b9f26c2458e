/// Settings of the log writer.
struct LogOptions: Sendable, Equatable {
    /// A segment is closed and a new one started when the next frame would make the active
    /// segment larger than this (unless the active segment holds no frame yet, so a frame larger
    /// than this still gets a segment of its own). Default 64 MiB; at least 4 KiB.
    var segmentSizeBytes: Int = 64 << 20
    /// The zstd compression level of frame payloads (1 to 19 are useful; default 3).
    var compressionLevel: Int32 = 3
    /// Compress with the built-in dictionary (codec 2, the default); false writes codec 1 frames,
    /// which versions before the dictionary can read.
    var compressionDictionary = true

    /// The smallest accepted ``segmentSizeBytes``.
    static let minimumSegmentSizeBytes = 4096

    /// Creates options.
    init(segmentSizeBytes: Int = 64 << 20, compressionLevel: Int32 = 3, compressionDictionary: Bool = true) {
        self.segmentSizeBytes = segmentSizeBytes
        self.compressionLevel = compressionLevel
        self.compressionDictionary = compressionDictionary
    }
}
