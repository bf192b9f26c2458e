/// A sparse index of one segment: the offset of a frame about every 64 KiB, so that a reader
/// can start near any sequence number by walking a few frame headers instead of the whole
/// segment. It also remembers where the segment's frames end.
struct SegmentIndex: Sendable {
    /// The distance in bytes between two indexed frames (at least).
    static let spacingBytes: Int64 = 64 << 10

    /// One indexed frame.
    struct Entry: Sendable, Equatable {
        /// The frame's first sequence number.
        var firstSequence: UInt64
        /// The frame's offset in the segment file.
        var offset: Int64
        /// The offset of the frame before it in the same segment; `nil` for the first frame.
        var previousOffset: Int64?
    }

    /// Indexed frames in file order; the first frame is always indexed.
    private(set) var entries: [Entry] = []
    /// Number of frames in the segment.
    private(set) var frameCount = 0
    /// Offset of the segment's last frame, when it has one.
    private(set) var lastFrameOffset: Int64?
    /// The first offset after the last frame (the header size when there is no frame).
    private(set) var endOffset = Int64(SegmentHeader.byteCount)

    /// Records the next frame of the segment.
    mutating func record(firstSequence: UInt64, offset: Int64, frameLength: Int) {
        if entries.isEmpty || offset - entries[entries.count - 1].offset >= Self.spacingBytes {
            entries.append(Entry(firstSequence: firstSequence, offset: offset, previousOffset: lastFrameOffset))
        }
        frameCount += 1
        lastFrameOffset = offset
        endOffset = offset + Int64(frameLength)
    }

    /// The last indexed frame whose first sequence is at most `sequence`: the place to start
    /// walking headers to find the frame that holds `sequence`.
    func startingPoint(for sequence: UInt64) -> Entry? {
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].firstSequence <= sequence {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low == 0 ? nil : entries[low - 1]
    }
}
