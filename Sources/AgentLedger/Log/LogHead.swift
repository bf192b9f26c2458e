/// A point in the hash chain: a sequence number and the hash of the frame that ends there.
///
/// An auditor keeps the head of a log somewhere else; a later
/// ``LogReader/verify(directory:fileSystem:expectedHead:)`` with it proves that nothing up to
/// that point was changed, because every frame's hash covers the hash of the frame before it.
public struct LogHead: Sendable, Hashable, CustomStringConvertible {
    /// The sequence number of the last event of the frame.
    public let sequence: UInt64
    /// SHA-256 of that frame (32 bytes; zeros for an empty log at sequence 0).
    public let hash: [UInt8]

    /// Creates a head; `hash` must be 32 bytes.
    public init(sequence: UInt64, hash: [UInt8]) {
        precondition(hash.count == 32, "a log head hash is 32 bytes")
        self.sequence = sequence
        self.hash = hash
    }

    /// Parses a head hash given as 64 hexadecimal digits; `nil` when it is not.
    public init?(sequence: UInt64, hashHex: String) {
        let digits = Array(hashHex.utf8)
        guard digits.count == 64 else {
            return nil
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for pair in stride(from: 0, to: 64, by: 2) {
            guard let high = Self.nibble(digits[pair]), let low = Self.nibble(digits[pair + 1]) else {
                return nil
            }
            bytes.append(high << 4 | low)
        }
        self.init(sequence: sequence, hash: bytes)
    }

    /// The hash as 64 lowercase hexadecimal digits.
    public var hashHex: String {
        FrameHash.hex(hash)
    }

    /// `17:9f86d081…` (sequence, colon, hash in hexadecimal).
    public var description: String {
        "\(sequence):\(hashHex)"
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"):
            return digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"):
            return digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"):
            return digit - UInt8(ascii: "A") + 10
        default:
            return nil
        }
    }
}
