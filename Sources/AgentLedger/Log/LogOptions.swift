/// Settings of the log writer.
struct LogOptions: Sendable, Equatable {
    /// A segment is closed and a new one started when the next frame would make the active
    /// segment larger than this (unless the active segment holds no frame yet, so a frame larger
    /// than this still gets a segment of its own). Default 64 MiB; at least 4 KiB.
    var segmentSizeBytes: Int = 64 << 20
    /// The zstd compression level of frame payloads (1 to 19 are useful; default 3).
    var compressionLevel = 3
    /// Compress with the built-in dictionary (codec 2, the default); false writes codec 1 frames,
    /// which versions before the dictionary can read.
    var compressionDictionary = true
    /// The most zero bytes the writer writes ahead of its frames in the active segment at once,
    /// so that the fdatasync of a group commit overwrites allocated blocks instead of growing the
    /// file (which costs the file system a journal commit); 0 turns this off. Default 1 MiB.
    /// Each reservation is as large as the segment's frames so far, at least 64 KiB and at most
    /// this; a finished segment and a closed log are cut back to their last frame. With 0, the
    /// zeros an earlier writer left after the last frame are cut when the log opens, so that
    /// no frame is ever written over allocated space in place.
    var preallocationBytes = 1 << 20

    /// The smallest accepted ``segmentSizeBytes``.
    static let minimumSegmentSizeBytes = 4096

    /// Creates options.
    init(
        segmentSizeBytes: Int = 64 << 20,
        compressionLevel: Int = 3,
        compressionDictionary: Bool = true,
        preallocationBytes: Int = 1 << 20
    ) {
        self.segmentSizeBytes = segmentSizeBytes
        self.compressionLevel = compressionLevel
        self.compressionDictionary = compressionDictionary
        self.preallocationBytes = preallocationBytes
    }

    /// The log settings of a ledger's `options` (segment size, compression), with
    /// `preallocationBytes` of reserved space: each caller decides when reserving pays off.
    init(_ options: LedgerOptions, preallocationBytes: Int) {
        self.init(
            segmentSizeBytes: options.segmentSizeBytes,
            // As given: `ZstdCodec` refuses a level outside zstd's range (one beyond 32 bits
            // among them) with `invalidArgument`, naming it.
            compressionLevel: options.compressionLevel,
            compressionDictionary: options.compressionDictionary,
            preallocationBytes: preallocationBytes
        )
    }
}
