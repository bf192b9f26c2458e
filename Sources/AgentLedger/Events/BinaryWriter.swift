/// Appends the primitive values of the event encoding to a byte buffer (FORMAT.md, "Events").
struct BinaryWriter {
    var bytes: [UInt8]

    init(reservingCapacity capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    mutating func writeByte(_ value: UInt8) {
        bytes.append(value)
    }

    /// Unsigned LEB128: 7 bits per byte, low bits first, high bit set on all but the last byte.
    mutating func writeVarint(_ value: UInt64) {
        var remaining = value
        while remaining >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: remaining) | 0x80)
            remaining >>= 7
        }
        bytes.append(UInt8(remaining))
    }

    /// A signed value as zigzag LEB128, so small negative numbers stay short.
    mutating func writeSignedVarint(_ value: Int64) {
        writeVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    /// A length (varint) followed by that many bytes.
    mutating func writeBytes(_ value: some Collection<UInt8>) {
        writeVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// A string as its UTF-8 bytes, length first.
    mutating func writeString(_ value: String) {
        var value = value
        value.withUTF8 { writeBytes($0) }
    }

    /// Writes the bytes that `body` produces, preceded by their length.
    mutating func writeLengthPrefixed(_ body: (inout BinaryWriter) -> Void) {
        var inner = BinaryWriter()
        body(&inner)
        writeBytes(inner.bytes)
    }
}
