/// Reads the primitive values of the event encoding, refusing to read past the end.
///
/// Every failure is a `DecodingProblem` that the caller turns into a `LedgerError` with the
/// location of the frame; hostile bytes can make it fail but never crash or over-allocate.
struct BinaryReader {
    /// Why a decode failed, with the byte offset in the decoded buffer.
    struct DecodingProblem: Error {
        let offset: Int
        let reason: String
    }

    let bytes: [UInt8]
    private(set) var offset: Int
    let end: Int

    init(_ bytes: [UInt8], offset: Int = 0, end: Int? = nil) {
        self.bytes = bytes
        self.offset = offset
        self.end = end ?? bytes.count
    }

    var isAtEnd: Bool { offset >= end }

    mutating func readByte() throws(DecodingProblem) -> UInt8 {
        guard offset < end else {
            throw DecodingProblem(offset: offset, reason: "unexpected end of data")
        }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func readVarint() throws(DecodingProblem) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        let start = offset
        while true {
            let byte = try readByte()
            if shift == 63 && byte > 1 {
                throw DecodingProblem(offset: start, reason: "varint overflows 64 bits")
            }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 {
                return result
            }
            shift += 7
            if shift > 63 {
                throw DecodingProblem(offset: start, reason: "varint longer than 10 bytes")
            }
        }
    }

    mutating func readSignedVarint() throws(DecodingProblem) -> Int64 {
        let raw = try readVarint()
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }

    /// A varint that must fit in `Int` and be at most `limit`.
    mutating func readCount(limit: Int, what: String) throws(DecodingProblem) -> Int {
        let start = offset
        let value = try readVarint()
        guard value <= UInt64(limit) else {
            throw DecodingProblem(offset: start, reason: "\(what) \(value) exceeds \(limit)")
        }
        return Int(value)
    }

    /// A length-prefixed byte range, returned as bounds into `bytes`.
    mutating func readRange() throws(DecodingProblem) -> Range<Int> {
        let start = offset
        let value = try readVarint()
        // Checked after reading the varint: the bytes left are those after it.
        guard value <= UInt64(end - offset) else {
            throw DecodingProblem(
                offset: start,
                reason: "length \(value) runs past the end (\(end - offset) bytes left)"
            )
        }
        let length = Int(value)
        let range = offset..<(offset + length)
        offset += length
        return range
    }

    mutating func readBytes() throws(DecodingProblem) -> [UInt8] {
        Array(bytes[try readRange()])
    }

    mutating func readString() throws(DecodingProblem) -> String {
        let start = offset
        let range = try readRange()
        guard let string = String(validating: bytes[range], as: UTF8.self) else {
            throw DecodingProblem(offset: start, reason: "string is not valid UTF-8")
        }
        return string
    }
}
