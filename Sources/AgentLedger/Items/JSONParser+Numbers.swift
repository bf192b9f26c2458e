extension JSONParser {
    /// Validates the number at the cursor against RFC 8259's grammar and moves past it:
    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    ///
    /// The grammar has no range: `1e400` is a valid number (``doubleValue(of:)`` makes it an
    /// infinity, as Python's `json` module does).
    mutating func scanNumber() throws(JSONParseError) -> NumberToken {
        let start = position
        if peek() == UInt8(ascii: "-") {
            position += 1
        }
        switch peek() {
        case UInt8(ascii: "0"):
            position += 1
            if Self.isDigit(peek()) {
                throw JSONParseError(offset: position - 1, reason: "leading zero in a number")
            }
        case UInt8(ascii: "1")...UInt8(ascii: "9"):
            position += 1
            skipDigits()
        default:
            throw unexpected(at: position, expected: "a digit")
        }
        var isInteger = true
        if peek() == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            guard Self.isDigit(peek()) else {
                throw unexpected(at: position, expected: "a digit after the decimal point")
            }
            skipDigits()
        }
        if peek() | 0x20 == UInt8(ascii: "e") {
            isInteger = false
            position += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") {
                position += 1
            }
            guard Self.isDigit(peek()) else {
                throw unexpected(at: position, expected: "a digit in the exponent")
            }
            skipDigits()
        }
        return NumberToken(start: start, end: position, isInteger: isInteger)
    }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private mutating func skipDigits() {
        while position < end && Self.isDigit(base[position]) {
            position &+= 1
        }
    }

    /// The bytes of a validated number token.
    func bytes(of token: NumberToken) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: base + token.start, count: token.end - token.start)
    }

    /// The nearest `Double` to a validated number token (an infinity beyond `Double`'s range).
    func doubleValue(of token: NumberToken) -> Double {
        var index = token.start
        let negative = base[index] == UInt8(ascii: "-")
        if negative {
            index += 1
        }
        // Up to 15 digits are exact in an Int64 and in a Double: no rounding to worry about.
        if token.isInteger && token.end - index <= 15 {
            var value: Int64 = 0
            while index < token.end {
                value = value &* 10 &+ Int64(base[index] &- UInt8(ascii: "0"))
                index += 1
            }
            return negative ? -Double(value) : Double(value)
        }
        let text = String(decoding: bytes(of: token), as: UTF8.self)
        // The grammar was checked, so the conversion succeeds; 0 is only a formal fallback.
        return Double(text) ?? 0
    }
}
