/// Builds frames: compresses a payload with a reused zstd context into a reused buffer, right
/// behind the 64-byte header, so that one frame is one contiguous buffer and one write.
///
/// Payloads are compressed with the built-in dictionary (codec 2) unless the writer asked for
/// frames that versions without it can read (codec 1). A payload that zstd cannot make smaller
/// is stored as is (codec 0). Not thread-safe: it belongs to the log writer.
final class FrameEncoder {
    /// The compressor.
    let codec: ZstdCodec
    /// The codec of compressed payloads: ``LogCodec/zstdDictionary`` or ``LogCodec/zstd``.
    let compressedCodec: LogCodec
    private var buffer: [UInt8] = []
    private var encodedCount = 0

    /// Creates an encoder compressing at `compressionLevel`, with the built-in dictionary when
    /// `dictionary` is true.
    init(compressionLevel: Int, dictionary: Bool) throws {
        codec = try ZstdCodec(compressionLevel: compressionLevel)
        compressedCodec = dictionary ? .zstdDictionary : .zstd
    }

    /// Encodes one frame into the buffer and returns its header and hash. The frame's bytes are
    /// available through ``withEncodedFrame(_:)`` until the next call.
    ///
    /// Throws ``LedgerError/Code/invalidArgument`` when the payload or the frame would exceed
    /// the 1 GiB limits.
    func encode(
        firstSequence: UInt64,
        eventCount: Int,
        payload: UnsafeRawBufferPointer,
        previousHash: FrameHash
    ) throws -> (header: FrameHeader, hash: FrameHash) {
        guard payload.count <= ZstdCodec.maxRawBytes - FrameHeader.byteCount else {
            throw LedgerError(
                .invalidArgument,
                "a batch of \(payload.count) bytes is too large for one frame (limit \(ZstdCodec.maxRawBytes - 64))"
            )
        }
        let headerBytes = FrameHeader.byteCount
        let capacity = headerBytes + max(ZstdCodec.compressBound(payload.count), payload.count)
        if buffer.count < capacity || (buffer.count > 8 << 20 && capacity < 1 << 20) {
            buffer = [UInt8](repeating: 0, count: capacity)
        }
        let codec = self.codec
        let compressedCodec = self.compressedCodec
        let result = try buffer.withUnsafeMutableBytes { frame -> (FrameHeader, FrameHash) in
            let body = UnsafeMutableRawBufferPointer(rebasing: frame[headerBytes..<capacity])
            var storedCount = 0
            var storedCodec = LogCodec.none
            if payload.count > 0 {
                let compressed = try codec.compress(
                    payload,
                    into: body,
                    dictionary: compressedCodec == .zstdDictionary
                )
                if compressed < payload.count {
                    storedCount = compressed
                    storedCodec = compressedCodec
                }
            }
            if storedCodec == .none {
                if payload.count > 0 {
                    body.baseAddress!.copyMemory(from: payload.baseAddress!, byteCount: payload.count)
                }
                storedCount = payload.count
            }
            let stored = UnsafeRawBufferPointer(rebasing: frame[headerBytes..<headerBytes + storedCount])
            let header = FrameHeader(
                frameLength: headerBytes + storedCount,
                eventCount: eventCount,
                firstSequence: firstSequence,
                codec: storedCodec,
                rawLength: payload.count,
                payloadCRC: CRC32C.checksum(stored),
                previousHash: previousHash
            )
            header.encode(into: frame)
            let hash = FrameHash(hashing: UnsafeRawBufferPointer(rebasing: frame[0..<header.frameLength]))
            return (header, hash)
        }
        encodedCount = result.0.frameLength
        return result
    }

    /// Calls `body` with the bytes of the frame last encoded.
    func withEncodedFrame<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try buffer.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<encodedCount])) }
    }

    /// The bytes of the frame last encoded, as a new array.
    var encodedFrame: [UInt8] {
        withEncodedFrame { Array($0) }
    }
}
