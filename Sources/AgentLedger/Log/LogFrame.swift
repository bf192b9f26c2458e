/// One frame read from the log: a batch of consecutive events, decompressed.
///
/// The payload is the batch exactly as it was given to the writer; the log layer does not look
/// inside it (the event encoding splits it into ``eventCount`` events).
public struct LogFrame: Sendable, Equatable {
    /// The sequence number of the frame's first event.
    public let firstSequence: UInt64
    /// The number of events in the frame (at least 1).
    public let eventCount: Int
    /// The batch of encoded events, decompressed.
    public let payload: [UInt8]
    /// SHA-256 of all bytes of the frame as stored (32 bytes): its link in the hash chain.
    public let hash: [UInt8]
    /// The hash of the frame before it (32 bytes; zeros for the first frame of the log).
    public let previousHash: [UInt8]
    /// Where the frame starts: segment file, byte offset, first sequence number.
    public let location: LogLocation

    /// The sequence number of the frame's last event.
    public var lastSequence: UInt64 {
        firstSequence + UInt64(eventCount) - 1
    }

    /// The frame's hash as 64 lowercase hexadecimal digits.
    public var hashHex: String {
        FrameHash.hex(hash)
    }
}
