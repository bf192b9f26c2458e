extension JSONParser {
    /// Validates the string at the cursor (which must be on its opening quote) and moves past it.
    ///
    /// Checks escapes, surrogate pairs, UTF-8 and raw control characters. Runs of plain ASCII are
    /// skipped eight bytes at a time.
    mutating func scanString() throws(JSONParseError) -> StringToken {
        let quote = position
        let start = position + 1
        var index = start
        var hasEscapes = false
        while true {
            while index &+ 8 <= end {
                let word = UInt64(littleEndian: UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self))
                let mask = Self.attentionMask(word)
                if mask != 0 {
                    index &+= mask.trailingZeroBitCount &>> 3
                    break
                }
                index &+= 8
            }
            guard index < end else {
                position = index
                throw JSONParseError(offset: quote, reason: "unterminated string")
            }
            let byte = base[index]
            if byte == UInt8(ascii: "\"") {
                position = index + 1
                return StringToken(start: start, end: index, hasEscapes: hasEscapes)
            } else if byte == UInt8(ascii: "\\") {
                hasEscapes = true
                if index + 1 < end && Self.isSingleCharacterEscape(base[index + 1]) {
                    index &+= 2
                } else {
                    position = index
                    try skipEscape()
                    index = position
                }
            } else if byte < 0x20 {
                position = index
                throw JSONParseError(
                    offset: index,
                    reason: "raw control character \(Self.hex(byte)) in a string (it must be escaped)"
                )
            } else if byte < 0x80 {
                index &+= 1
            } else {
                position = index
                try skipUTF8Sequence(lead: byte)
                index = position
            }
        }
    }

    /// A mask with the high bit set in (at least) the lowest byte of `word`, taken in memory order,
    /// that is a quote, a backslash, a control character or non-ASCII; zero when there is none.
    ///
    /// The zero-byte tricks may also flag bytes above a flagged one, never below: the lowest flag
    /// is exact, which is all the caller uses.
    @inline(__always)
    static func attentionMask(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highBits: UInt64 = 0x8080_8080_8080_8080
        let quotes = word ^ (ones &* 0x22)
        let backslashes = word ^ (ones &* 0x5C)
        let hasQuote = (quotes &- ones) & ~quotes
        let hasBackslash = (backslashes &- ones) & ~backslashes
        let hasControl = (word &- ones &* 0x20) & ~word
        return (hasQuote | hasBackslash | hasControl | word) & highBits
    }

    /// Whether `byte` after a backslash makes a two-byte escape: `\" \\ \/ \b \f \n \r \t`.
    @inline(__always)
    static func isSingleCharacterEscape(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
            UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            return true
        default:
            return false
        }
    }

    /// Validates the escape at the cursor (on its backslash) and moves past it.
    private mutating func skipEscape() throws(JSONParseError) {
        let backslash = position
        guard backslash + 1 < end else {
            throw JSONParseError(offset: end, reason: "unexpected end of input in a string escape")
        }
        switch base[backslash + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
            UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            position += 2
        case UInt8(ascii: "u"):
            let unit = try readHex4(at: backslash + 2)
            position += 6
            if unit >= 0xDC00 && unit <= 0xDFFF {
                throw loneSurrogate(unit, at: backslash)
            }
            if unit >= 0xD800 && unit <= 0xDBFF {
                guard position + 1 < end, base[position] == UInt8(ascii: "\\"),
                    base[position + 1] == UInt8(ascii: "u")
                else {
                    throw loneSurrogate(unit, at: backslash)
                }
                let low = try readHex4(at: position + 2)
                guard low >= 0xDC00 && low <= 0xDFFF else {
                    throw loneSurrogate(unit, at: backslash)
                }
                position += 6
            }
        default:
            let escaped = base[backslash + 1]
            let shown =
                escaped >= 0x20 && escaped < 0x7F ? "'\\\(Character(Unicode.Scalar(escaped)))'" : Self.hex(escaped)
            throw JSONParseError(offset: backslash, reason: "invalid escape \(shown) in a string")
        }
    }

    private func loneSurrogate(_ unit: UInt16, at offset: Int) -> JSONParseError {
        let digits = String(unit, radix: 16, uppercase: true)
        return JSONParseError(offset: offset, reason: "lone surrogate \\u\(digits) in a string")
    }

    /// The value of the four hex digits at `offset`.
    private func readHex4(at offset: Int) throws(JSONParseError) -> UInt16 {
        var value: UInt16 = 0
        for index in offset..<offset + 4 {
            guard index < end else {
                throw JSONParseError(offset: end, reason: "unexpected end of input in a \\u escape")
            }
            let byte = base[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"):
                digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"):
                digit = byte - UInt8(ascii: "A") + 10
            default:
                throw JSONParseError(
                    offset: index,
                    reason: "invalid \\u escape: \(Self.describe(byte)) is not a hex digit"
                )
            }
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    /// Validates one multi-byte UTF-8 sequence at the cursor (Unicode table 3-7) and moves past it.
    @inline(__always)
    private mutating func skipUTF8Sequence(lead: UInt8) throws(JSONParseError) {
        // Fast paths for the common two- and three-byte forms; everything else, errors included,
        // goes the careful way.
        let start = position
        if lead >= 0xC2 && lead <= 0xDF && start + 1 < end && base[start + 1] & 0xC0 == 0x80 {
            position = start + 2
            return
        }
        if lead >= 0xE0 && lead <= 0xEF && start + 2 < end {
            let second = base[start + 1]
            let third = base[start + 2]
            let secondInRange = lead == 0xE0 ? second >= 0xA0 : (lead == 0xED ? second <= 0x9F : true)
            if second & 0xC0 == 0x80 && third & 0xC0 == 0x80 && secondInRange {
                position = start + 3
                return
            }
        }
        try skipUTF8SequenceCarefully(lead: lead)
    }

    private mutating func skipUTF8SequenceCarefully(lead: UInt8) throws(JSONParseError) {
        let start = position
        let length: Int
        var lowest: UInt8 = 0x80
        var highest: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF:
            length = 2
        case 0xE0:
            length = 3
            lowest = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF:
            length = 3
        case 0xED:
            length = 3
            highest = 0x9F
        case 0xF0:
            length = 4
            lowest = 0x90
        case 0xF1...0xF3:
            length = 4
        case 0xF4:
            length = 4
            highest = 0x8F
        default:
            throw JSONParseError(offset: start, reason: "invalid UTF-8 byte \(Self.hex(lead))")
        }
        for index in start + 1..<start + length {
            guard index < end else {
                throw JSONParseError(offset: end, reason: "unexpected end of input in a UTF-8 sequence")
            }
            let byte = base[index]
            let valid = index == start + 1 ? (byte >= lowest && byte <= highest) : (byte & 0xC0 == 0x80)
            guard valid else {
                throw JSONParseError(
                    offset: index,
                    reason: "invalid UTF-8 byte \(Self.hex(byte)) after lead byte \(Self.hex(lead))"
                )
            }
        }
        position = start + length
    }

    /// Reads the string at the cursor into a `String`, decoding its escapes.
    mutating func readString() throws(JSONParseError) -> String {
        let token = try scanString()
        return string(of: token)
    }

    /// The `String` a validated string token stands for.
    func string(of token: StringToken) -> String {
        let count = token.end - token.start
        guard token.hasEscapes else {
            return String(decoding: UnsafeBufferPointer(start: base + token.start, count: count), as: UTF8.self)
        }
        // Decoding never lengthens: each escape is at least as long as the UTF-8 it stands for.
        return String(unsafeUninitializedCapacity: count) { output in
            var written = 0
            var index = token.start
            while index < token.end {
                var runEnd = index
                while runEnd < token.end && base[runEnd] != UInt8(ascii: "\\") {
                    runEnd += 1
                }
                if runEnd - index >= 32 {
                    (output.baseAddress! + written).update(from: base + index, count: runEnd - index)
                    written += runEnd - index
                    index = runEnd
                } else {
                    while index < runEnd {
                        output[written] = base[index]
                        written += 1
                        index += 1
                    }
                }
                if index == token.end {
                    break
                }
                let escaped = base[index + 1]
                index += 2
                switch escaped {
                case UInt8(ascii: "b"):
                    output[written] = 0x08
                case UInt8(ascii: "f"):
                    output[written] = 0x0C
                case UInt8(ascii: "n"):
                    output[written] = 0x0A
                case UInt8(ascii: "r"):
                    output[written] = 0x0D
                case UInt8(ascii: "t"):
                    output[written] = 0x09
                case UInt8(ascii: "u"):
                    var scalar = UInt32(hexValue(at: index))
                    index += 4
                    if scalar >= 0xD800 && scalar <= 0xDBFF {
                        let low = UInt32(hexValue(at: index + 2))
                        index += 6
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    written += Self.encodeUTF8(scalar, into: output, at: written)
                    continue
                default:
                    output[written] = escaped
                }
                written += 1
            }
            return written
        }
    }

    /// The value of four hex digits already validated.
    private func hexValue(at offset: Int) -> UInt16 {
        var value: UInt16 = 0
        for index in offset..<offset + 4 {
            let byte = base[index] | 0x20  // Lowercase letters; digits are unchanged.
            let digit = byte <= UInt8(ascii: "9") ? byte - UInt8(ascii: "0") : byte - UInt8(ascii: "a") + 10
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    /// Writes the UTF-8 form of `scalar` at `offset`; returns the number of bytes written.
    private static func encodeUTF8(
        _ scalar: UInt32,
        into output: UnsafeMutableBufferPointer<UInt8>,
        at offset: Int
    ) -> Int {
        switch scalar {
        case 0..<0x80:
            output[offset] = UInt8(scalar)
            return 1
        case 0x80..<0x800:
            output[offset] = UInt8(0xC0 | scalar >> 6)
            output[offset + 1] = UInt8(0x80 | scalar & 0x3F)
            return 2
        case 0x800..<0x10000:
            output[offset] = UInt8(0xE0 | scalar >> 12)
            output[offset + 1] = UInt8(0x80 | scalar >> 6 & 0x3F)
            output[offset + 2] = UInt8(0x80 | scalar & 0x3F)
            return 3
        default:
            output[offset] = UInt8(0xF0 | scalar >> 18)
            output[offset + 1] = UInt8(0x80 | scalar >> 12 & 0x3F)
            output[offset + 2] = UInt8(0x80 | scalar >> 6 & 0x3F)
            output[offset + 3] = UInt8(0x80 | scalar & 0x3F)
            return 4
        }
    }
}
