/// The 32-byte header at the start of every segment file (format v1, little-endian).
///
/// ```
/// offset size field
/// 0      8    magic          "ALEDGSEG"
/// 8      4    formatVersion  1
/// 12     4    reserved       zero
/// 16     8    baseSequence   sequence number of the segment's first event
/// 24     4    reserved       zero
/// 28     4    headerCRC      CRC-32C of bytes [0, 28)
/// ```
struct SegmentHeader: Equatable, Sendable {
    /// The size of the header in bytes; the first frame starts here.
    static let byteCount = 32
    /// The format version this code writes and reads.
    static let formatVersion: UInt32 = 1
    /// The eight magic bytes, `ALEDGSEG`.
    static let magic: [UInt8] = Array("ALEDGSEG".utf8)

    /// Sequence number of the segment's first event (also the number in its file name).
    var baseSequence: UInt64

    /// Why 32 bytes are not a usable segment header.
    enum Defect: Error, Equatable {
        /// Too short, a checksum failure, wrong magic or a non-zero reserved field.
        case damaged(String)
        /// A checksum-valid header of another format version.
        case unsupported(UInt32)
    }

    /// The 32 header bytes.
    func encoded() -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: Self.byteCount)
        bytes.withUnsafeMutableBytes { buffer in
            for (index, byte) in Self.magic.enumerated() {
                buffer[index] = byte
            }
            buffer.storeBytes(of: Self.formatVersion.littleEndian, toByteOffset: 8, as: UInt32.self)
            buffer.storeBytes(of: baseSequence.littleEndian, toByteOffset: 16, as: UInt64.self)
            let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: buffer[0..<28]))
            buffer.storeBytes(of: crc.littleEndian, toByteOffset: 28, as: UInt32.self)
        }
        return bytes
    }

    /// Reads and validates a segment header.
    static func decode(_ source: UnsafeRawBufferPointer) -> Result<SegmentHeader, Defect> {
        guard source.count >= byteCount else {
            return .failure(.damaged("segment header is incomplete: \(source.count) of 32 bytes"))
        }
        let storedCRC = UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 28, as: UInt32.self))
        let computedCRC = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: source[0..<28]))
        guard storedCRC == computedCRC else {
            return .failure(
                .damaged(
                    "segment header checksum mismatch (stored \(FrameHeader.hex32(storedCRC)), "
                        + "computed \(FrameHeader.hex32(computedCRC)))"
                )
            )
        }
        guard source.prefix(8).elementsEqual(magic) else {
            return .failure(.damaged("not an AgentLedger segment file (magic bytes are not ALEDGSEG)"))
        }
        let version = UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        guard version == formatVersion else {
            return .failure(.unsupported(version))
        }
        let reserved1 = source.loadUnaligned(fromByteOffset: 12, as: UInt32.self)
        let reserved2 = source.loadUnaligned(fromByteOffset: 24, as: UInt32.self)
        guard reserved1 == 0, reserved2 == 0 else {
            return .failure(.damaged("segment header's reserved bytes are not zero"))
        }
        let base = UInt64(littleEndian: source.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
        return .success(SegmentHeader(baseSequence: base))
    }
}
