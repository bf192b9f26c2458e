/// The outcome of walking the frames of one segment (see ``SegmentFile/walk(baseSequence:previousHash:verifyPayloads:tolerateTail:)``).
struct SegmentWalk {
    /// Why the walk stopped.
    enum Stop: Equatable {
        /// The frames end exactly at the end of the file.
        case endOfFile
        /// An incomplete or damaged frame at `offset` with no valid frame after it: a torn tail.
        case tornTail(offset: Int64, reason: String)
        /// Only zero bytes from `offset` (where a frame would start) to the end of the file: space
        /// the writer reserved ahead of its frames (see ``LogOptions/preallocationBytes``), or a
        /// write that never reached the disk. It holds no frame, so nothing in it was acknowledged.
        case unusedSpace(offset: Int64)
        /// A damaged frame at `offset` with a valid frame after it, where a walk asked to stop
        /// at damage stopped (see ``SegmentFile/walk(baseSequence:previousHash:verifyPayloads:tolerateTail:stopAtDamage:)``).
        case damage(offset: Int64, reason: String)
    }

    /// Where the accepted frames are, sparsely.
    var index = SegmentIndex()
    /// The sequence number the next frame must start with.
    var nextSequence: UInt64
    /// The `previousHash` field of the segment's first frame.
    var firstPreviousHash: FrameHash?
    /// The hash of the last accepted frame, when payloads were verified.
    var lastHash: FrameHash?
    /// Why the walk stopped.
    var stop: Stop = .endOfFile
}
