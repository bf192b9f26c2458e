/// Finds the byte ranges of values inside a JSON document that is already known to be valid,
/// so that item JSON embedded in an export line can be taken back verbatim (never re-encoded).
enum RawJSONSpans {
    /// The range of the value of member `name` of the top-level object, if present.
    static func member(_ name: String, in bytes: [UInt8]) -> Range<Int>? {
        var index = skipSpace(bytes, 0)
        guard index < bytes.count, bytes[index] == UInt8(ascii: "{") else {
            return nil
        }
        index += 1
        while true {
            index = skipSpace(bytes, index)
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                return nil
            }
            let keyEnd = skipValue(bytes, index)
            let key = String(decoding: bytes[(index + 1)..<(keyEnd - 1)], as: UTF8.self)
            index = skipSpace(bytes, keyEnd)
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                return nil
            }
            let valueStart = skipSpace(bytes, index + 1)
            let valueEnd = skipValue(bytes, valueStart)
            if key == name {
                return valueStart..<valueEnd
            }
            index = skipSpace(bytes, valueEnd)
            guard index < bytes.count, bytes[index] == UInt8(ascii: ",") else {
                return nil
            }
            index += 1
        }
    }

    /// The ranges of the elements of the array at `range`.
    static func elements(of range: Range<Int>, in bytes: [UInt8]) -> [Range<Int>] {
        guard range.lowerBound < bytes.count, bytes[range.lowerBound] == UInt8(ascii: "[") else {
            return []
        }
        var result: [Range<Int>] = []
        var index = skipSpace(bytes, range.lowerBound + 1)
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            return []
        }
        while index < range.upperBound {
            let start = skipSpace(bytes, index)
            let end = skipValue(bytes, start)
            result.append(start..<end)
            index = skipSpace(bytes, end)
            guard index < bytes.count, bytes[index] == UInt8(ascii: ",") else {
                break
            }
            index += 1
        }
        return result
    }

    private static func skipSpace(_ bytes: [UInt8], _ start: Int) -> Int {
        var index = start
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) {
            index += 1
        }
        return index
    }

    /// The end of the value starting at `start` (exclusive).
    private static func skipValue(_ bytes: [UInt8], _ start: Int) -> Int {
        guard start < bytes.count else {
            return start
        }
        var index = start
        switch bytes[index] {
        case UInt8(ascii: "\""):
            index += 1
            while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
            }
            return min(index + 1, bytes.count)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "\""):
                    index = skipValue(bytes, index)
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 {
                        return index + 1
                    }
                default:
                    break
                }
                index += 1
            }
            return index
        default:
            while index < bytes.count,
                ![UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x09, 0x0A, 0x0D].contains(
                    bytes[index]
                )
            {
                index += 1
            }
            return index
        }
    }
}
