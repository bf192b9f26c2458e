import Crypto

/// A SHA-256 digest of a whole frame (all its bytes, header included): the links of the hash
/// chain. Kept as four words so that walking frame headers allocates nothing.
struct FrameHash: Hashable, Sendable, CustomStringConvertible {
    private var words: (UInt64, UInt64, UInt64, UInt64)

    /// 32 zero bytes: the `previousHash` of a store's first frame, and the head of an empty log.
    static let zero = FrameHash(words: (0, 0, 0, 0))

    private init(words: (UInt64, UInt64, UInt64, UInt64)) {
        self.words = words
    }

    /// Reads 32 bytes starting at `offset` of `bytes`.
    init(_ bytes: UnsafeRawBufferPointer, at offset: Int = 0) {
        precondition(offset >= 0 && bytes.count - offset >= 32, "a frame hash is 32 bytes")
        words = (
            bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self),
            bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self),
            bytes.loadUnaligned(fromByteOffset: offset + 16, as: UInt64.self),
            bytes.loadUnaligned(fromByteOffset: offset + 24, as: UInt64.self)
        )
    }

    /// Wraps 32 bytes; `nil` for another count.
    init?(bytes: [UInt8]) {
        guard bytes.count == 32 else {
            return nil
        }
        self = bytes.withUnsafeBytes { FrameHash($0) }
    }

    /// The SHA-256 of `frame`.
    init(hashing frame: UnsafeRawBufferPointer) {
        var hasher = SHA256()
        hasher.update(bufferPointer: frame)
        let digest = hasher.finalize()
        self = digest.withUnsafeBytes { FrameHash($0) }
    }

    /// Writes the 32 bytes at `offset` of `destination`.
    func store(into destination: UnsafeMutableRawBufferPointer, at offset: Int) {
        precondition(offset >= 0 && destination.count - offset >= 32, "a frame hash is 32 bytes")
        destination.storeBytes(of: words.0, toByteOffset: offset, as: UInt64.self)
        destination.storeBytes(of: words.1, toByteOffset: offset + 8, as: UInt64.self)
        destination.storeBytes(of: words.2, toByteOffset: offset + 16, as: UInt64.self)
        destination.storeBytes(of: words.3, toByteOffset: offset + 24, as: UInt64.self)
    }

    /// The 32 bytes.
    var bytes: [UInt8] {
        var result = [UInt8](repeating: 0, count: 32)
        result.withUnsafeMutableBytes { store(into: $0, at: 0) }
        return result
    }

    /// The 32 bytes as 64 lowercase hexadecimal digits.
    var hex: String {
        Self.hex(bytes)
    }

    /// `bytes` as lowercase hexadecimal digits.
    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// The hexadecimal form.
    var description: String { hex }

    static func == (lhs: FrameHash, rhs: FrameHash) -> Bool {
        lhs.words.0 == rhs.words.0 && lhs.words.1 == rhs.words.1 && lhs.words.2 == rhs.words.2
            && lhs.words.3 == rhs.words.3
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }
}
