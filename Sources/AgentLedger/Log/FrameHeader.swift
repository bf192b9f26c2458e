/// The fixed 64-byte header at the start of every frame (format v1, little-endian).
///
/// ```
/// offset size field
/// 0      4    frameLength    total bytes of the frame, header included (64 ... 1 GiB)
/// 4      4    eventCount     events in the frame, >= 1
/// 8      8    firstSequence  sequence number of the frame's first event, >= 1
/// 16     1    codec          0 = none, 1 = zstd, 2 = zstd with a built-in dictionary
/// 17     3    reserved       zero
/// 20     4    rawLength      payload length before compression
/// 24     4    payloadCRC     CRC-32C of the stored payload, bytes [64, frameLength)
/// 28     32   previousHash   SHA-256 of all bytes of the previous frame; zeros for the first
/// 60     4    headerCRC      CRC-32C of bytes [0, 60)
/// 64     ...  payload
/// ```
///
/// The header has its own checksum so that recovery and readers can walk a segment's frames by
/// reading 64 bytes per frame and trust the length before reading the payload.
struct FrameHeader: Equatable, Sendable {
    /// The size of the header in bytes.
    static let byteCount = 64
    /// The largest frame, header included: 1 GiB.
    static let maxFrameBytes = 1 << 30

    /// Total bytes of the frame, header included.
    var frameLength: Int
    /// Number of events in the frame (at least 1).
    var eventCount: Int
    /// Sequence number of the frame's first event.
    var firstSequence: UInt64
    /// How the payload is stored.
    var codec: LogCodec
    /// Payload length before compression.
    var rawLength: Int
    /// CRC-32C of the stored payload bytes.
    var payloadCRC: UInt32
    /// SHA-256 of the previous frame (zeros for the store's first frame).
    var previousHash: FrameHash

    /// Sequence number of the frame's last event.
    var lastSequence: UInt64 {
        firstSequence + UInt64(eventCount) - 1
    }

    /// Number of stored payload bytes.
    var storedPayloadLength: Int {
        frameLength - Self.byteCount
    }

    /// Why 64 bytes are not a usable frame header.
    enum Defect: Error, Equatable {
        /// Checksum failure or impossible field values: damage, or bytes that were never a frame
        /// (a torn write, a zeroed tail).
        case damaged(String)
        /// A checksum-valid header this version cannot read (an unknown codec).
        case unsupported(String)
    }

    /// Writes the 64 header bytes, header checksum included, at the start of `destination`.
    func encode(into destination: UnsafeMutableRawBufferPointer) {
        precondition(destination.count >= Self.byteCount, "a frame header is 64 bytes")
        destination.storeBytes(of: UInt32(frameLength).littleEndian, toByteOffset: 0, as: UInt32.self)
        destination.storeBytes(of: UInt32(eventCount).littleEndian, toByteOffset: 4, as: UInt32.self)
        destination.storeBytes(of: firstSequence.littleEndian, toByteOffset: 8, as: UInt64.self)
        destination.storeBytes(of: codec.rawValue, toByteOffset: 16, as: UInt8.self)
        destination.storeBytes(of: 0, toByteOffset: 17, as: UInt8.self)
        destination.storeBytes(of: 0, toByteOffset: 18, as: UInt8.self)
        destination.storeBytes(of: 0, toByteOffset: 19, as: UInt8.self)
        destination.storeBytes(of: UInt32(rawLength).littleEndian, toByteOffset: 20, as: UInt32.self)
        destination.storeBytes(of: payloadCRC.littleEndian, toByteOffset: 24, as: UInt32.self)
        previousHash.store(into: destination, at: 28)
        let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: destination[0..<60]))
        destination.storeBytes(of: crc.littleEndian, toByteOffset: 60, as: UInt32.self)
    }

    /// Reads and validates the 64 header bytes at the start of `source`: the header checksum,
    /// then every field's range.
    static func decode(_ source: UnsafeRawBufferPointer) -> Result<FrameHeader, Defect> {
        decode(source, acceptingUnknownCodecs: false)
    }

    /// The header at the start of `source` for the search for valid frames after damage: as
    /// ``decode(_:)`` reads it, except that an unknown codec (a newer writer's frame) is read as
    /// codec `none` instead of refused. The search checks such a frame's length and payload
    /// checksum, never its payload's encoding, so that damage before it is not taken for a torn
    /// tail and cut off with it.
    static func decodeAnyCodec(_ source: UnsafeRawBufferPointer) -> FrameHeader? {
        try? decode(source, acceptingUnknownCodecs: true).get()
    }

    private static func decode(
        _ source: UnsafeRawBufferPointer,
        acceptingUnknownCodecs: Bool
    ) -> Result<FrameHeader, Defect> {
        guard source.count >= byteCount else {
            return .failure(.damaged("only \(source.count) of the 64 header bytes are present"))
        }
        let storedCRC = UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 60, as: UInt32.self))
        let computedCRC = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: source[0..<60]))
        guard storedCRC == computedCRC else {
            return .failure(
                .damaged(
                    "frame header checksum mismatch (stored \(hex32(storedCRC)), computed \(hex32(computedCRC)))"
                )
            )
        }
        let frameLength = Int(UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 0, as: UInt32.self)))
        let eventCount = Int(UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
        let firstSequence = UInt64(littleEndian: source.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        let codecByte = source[16]
        let rawLength = Int(UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 20, as: UInt32.self)))
        let payloadCRC = UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 24, as: UInt32.self))
        guard frameLength >= byteCount, frameLength <= maxFrameBytes else {
            return .failure(.damaged("frame length \(frameLength) is outside 64...\(maxFrameBytes)"))
        }
        guard eventCount >= 1 else {
            return .failure(.damaged("frame holds no events"))
        }
        guard firstSequence >= 1, UInt64.max - firstSequence >= UInt64(eventCount) else {
            return .failure(.damaged("frame's sequence numbers \(firstSequence)+\(eventCount) are out of range"))
        }
        guard source[17] == 0, source[18] == 0, source[19] == 0 else {
            return .failure(.damaged("frame header's reserved bytes are not zero"))
        }
        guard rawLength <= ZstdCodec.maxRawBytes else {
            return .failure(.damaged("frame's uncompressed length \(rawLength) is above \(ZstdCodec.maxRawBytes)"))
        }
        guard let codec = LogCodec(rawValue: codecByte) ?? (acceptingUnknownCodecs ? LogCodec.none : nil) else {
            return .failure(
                .unsupported("frame codec \(codecByte) is not supported by this version of AgentLedger")
            )
        }
        if codecByte == LogCodec.none.rawValue, rawLength != frameLength - byteCount {
            return .failure(
                .damaged("uncompressed frame's raw length \(rawLength) differs from its payload \(frameLength - 64)")
            )
        }
        return .success(
            FrameHeader(
                frameLength: frameLength,
                eventCount: eventCount,
                firstSequence: firstSequence,
                codec: codec,
                rawLength: rawLength,
                payloadCRC: payloadCRC,
                previousHash: FrameHash(source, at: 28)
            )
        )
    }

    /// `0x1234abcd`.
    static func hex32(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }
}
