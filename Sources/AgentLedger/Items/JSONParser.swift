/// A strict RFC 8259 JSON reader over UTF-8 bytes: the one place that knows JSON's grammar.
///
/// It validates everything it passes over: the syntax, string escapes (a `\u` high surrogate
/// must be followed by a low one, and a low one never stands alone), UTF-8 (no overlong forms,
/// no encoded surrogates, nothing above U+10FFFF), no raw control characters in strings,
/// numbers per the grammar (no leading zeros, no bare `.` or `e`), no byte-order mark, no
/// trailing commas, and a nesting limit of ``maxDepth`` arrays and objects so that hostile input
/// cannot exhaust the stack. Every error carries the byte offset and a short reason.
///
/// The reader is a cursor with primitives (`beginObject`, `readMemberName`, `endMember`,
/// `scanString`, `skipValue`, ...); `JSONParser+Value.swift` builds full ``JSONValue`` trees from
/// them, ``ItemScanner`` a single pass that keeps only what classification needs, and
/// ``PythonJSONEncoder`` a re-encoding. Value readers expect the cursor on the value's first byte;
/// structural readers skip the whitespace after what they consume.
///
/// The bytes must stay valid while the reader is used: create it inside `withUnsafeBytes` (see
/// ``run(_:_:)``).
struct JSONParser {
    /// The deepest nesting of arrays and objects accepted; the top-level container is depth 1.
    static let maxDepth = 512

    /// A string as it appears in the text: the bytes between its quotes.
    struct StringToken {
        /// The offset of the first byte after the opening quote.
        var start: Int
        /// The offset of the closing quote.
        var end: Int
        /// Whether the string contains at least one backslash escape.
        var hasEscapes: Bool
    }

    /// A number as it appears in the text.
    struct NumberToken {
        /// The offset of the number's first byte (a digit or `-`).
        var start: Int
        /// The offset just past the number's last byte.
        var end: Int
        /// Whether the number has neither a fraction nor an exponent.
        var isInteger: Bool
    }

    let base: UnsafePointer<UInt8>
    let end: Int
    /// The offset of the next byte to read.
    var position: Int
    /// The number of arrays and objects the cursor is inside.
    var depth = 0
    /// The deepest nesting this reader accepts: ``maxDepth`` unless a document that wraps items
    /// (an export line) needs room for its own levels above them.
    var depthLimit = JSONParser.maxDepth

    /// Creates a reader over `count` bytes at `base`, starting at `position`.
    init(base: UnsafePointer<UInt8>, count: Int, position: Int = 0) {
        self.base = base
        self.end = count
        self.position = position
    }

    /// Runs `body` with a reader over `buffer`. An empty buffer is rejected (it holds no value).
    static func run<Value>(
        _ buffer: UnsafeRawBufferPointer,
        _ body: (inout JSONParser) throws(JSONParseError) -> Value
    ) throws(JSONParseError) -> Value {
        guard let raw = buffer.baseAddress, buffer.count > 0 else {
            throw JSONParseError(offset: 0, reason: "unexpected end of input (the text is empty)")
        }
        var parser = JSONParser(base: raw.assumingMemoryBound(to: UInt8.self), count: buffer.count)
        return try body(&parser)
    }

    /// Runs `body` with a reader over `bytes`.
    static func run<Value>(
        _ bytes: [UInt8],
        _ body: (inout JSONParser) throws(JSONParseError) -> Value
    ) throws(JSONParseError) -> Value {
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(JSONParseError) -> Value in try run(buffer, body) }
        }
        return try result.get()
    }

    // MARK: Bytes and errors

    /// The byte at the cursor, or 0 at the end of the text (0 is never valid where it is tested).
    @inline(__always)
    func peek() -> UInt8 {
        position < end ? base[position] : 0
    }

    /// Skips JSON whitespace: space, tab, line feed, carriage return.
    @inline(__always)
    mutating func skipWhitespace() {
        while position < end {
            switch base[position] {
            case 0x20, 0x0A, 0x0D, 0x09:
                position &+= 1
            default:
                return
            }
        }
    }

    /// "unexpected character 'x'" (or "unexpected end of input") at `offset`.
    func unexpected(at offset: Int, expected: String? = nil) -> JSONParseError {
        let suffix = expected.map { " (expected \($0))" } ?? ""
        guard offset < end else {
            return JSONParseError(offset: offset, reason: "unexpected end of input" + suffix)
        }
        return JSONParseError(offset: offset, reason: "unexpected \(Self.describe(base[offset]))" + suffix)
    }

    /// "character 'x'" for printable ASCII, "byte 0x1F" otherwise.
    static func describe(_ byte: UInt8) -> String {
        if byte >= 0x20 && byte < 0x7F {
            return "character '\(Character(Unicode.Scalar(byte)))'"
        }
        return "byte \(hex(byte))"
    }

    /// `0x0A`: two uppercase hex digits.
    static func hex(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16, uppercase: true)
        return byte < 0x10 ? "0x0" + digits : "0x" + digits
    }

    // MARK: Documents

    /// Validates a whole document: one value, surrounded only by whitespace.
    mutating func skipDocument() throws(JSONParseError) {
        skipWhitespace()
        try skipValue()
        try expectEndOfDocument()
    }

    /// Checks that only whitespace remains.
    mutating func expectEndOfDocument() throws(JSONParseError) {
        skipWhitespace()
        if position < end {
            throw JSONParseError(
                offset: position,
                reason: "unexpected \(Self.describe(base[position])) after the end of the JSON value"
            )
        }
    }

    /// Validates and skips one value of any kind, without allocating.
    mutating func skipValue() throws(JSONParseError) {
        switch peek() {
        case UInt8(ascii: "\""):
            _ = try scanString()
        case UInt8(ascii: "{"):
            if try beginObject() {
                repeat {
                    _ = try readMemberName()
                    try skipValue()
                } while try endMember()
            }
        case UInt8(ascii: "["):
            if try beginArray() {
                repeat {
                    try skipValue()
                } while try endElement()
            }
        case UInt8(ascii: "t"):
            try expectLiteral("true")
        case UInt8(ascii: "f"):
            try expectLiteral("false")
        case UInt8(ascii: "n"):
            try expectLiteral("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            _ = try scanNumber()
        default:
            throw unexpected(at: position, expected: "a value")
        }
    }

    /// Consumes `literal` (`true`, `false` or `null`) exactly.
    mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        let bytes = literal.utf8Start
        for index in 0..<count where position + index >= end || base[position + index] != bytes[index] {
            throw unexpected(at: position + index)
        }
        position += count
    }

    // MARK: Containers

    private mutating func enterContainer() throws(JSONParseError) {
        depth += 1
        if depth > depthLimit {
            throw JSONParseError(offset: position, reason: "nesting deeper than \(depthLimit) arrays and objects")
        }
    }

    /// Consumes `{` and the whitespace after it. Returns `false` for an empty object (whose `}` is
    /// then consumed too); otherwise read members with ``readMemberName()``, the value, and
    /// ``endMember()`` until it returns `false`.
    mutating func beginObject() throws(JSONParseError) -> Bool {
        try enterContainer()
        position += 1
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            position += 1
            depth -= 1
            return false
        }
        return true
    }

    /// Reads a member name and its `:`, leaving the cursor on the value.
    mutating func readMemberName() throws(JSONParseError) -> StringToken {
        guard peek() == UInt8(ascii: "\"") else {
            throw unexpected(at: position, expected: "a member name in double quotes")
        }
        let name = try scanString()
        skipWhitespace()
        guard peek() == UInt8(ascii: ":") else {
            throw unexpected(at: position, expected: "':' after a member name")
        }
        position += 1
        skipWhitespace()
        return name
    }

    /// After a member's value: consumes `,` (returns `true`: another member follows) or `}`
    /// (returns `false`: the object is complete).
    mutating func endMember() throws(JSONParseError) -> Bool {
        skipWhitespace()
        switch peek() {
        case UInt8(ascii: ","):
            let comma = position
            position += 1
            skipWhitespace()
            if peek() == UInt8(ascii: "}") {
                throw JSONParseError(offset: comma, reason: "trailing comma before '}'")
            }
            return true
        case UInt8(ascii: "}"):
            position += 1
            depth -= 1
            return false
        default:
            throw unexpected(at: position, expected: "',' or '}'")
        }
    }

    /// Consumes `[` and the whitespace after it. Returns `false` for an empty array (whose `]` is
    /// then consumed too); otherwise read each element, then ``endElement()`` until it returns
    /// `false`.
    mutating func beginArray() throws(JSONParseError) -> Bool {
        try enterContainer()
        position += 1
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            position += 1
            depth -= 1
            return false
        }
        return true
    }

    /// After an element: consumes `,` (returns `true`: another element follows) or `]` (returns
    /// `false`: the array is complete).
    mutating func endElement() throws(JSONParseError) -> Bool {
        skipWhitespace()
        switch peek() {
        case UInt8(ascii: ","):
            let comma = position
            position += 1
            skipWhitespace()
            if peek() == UInt8(ascii: "]") {
                throw JSONParseError(offset: comma, reason: "trailing comma before ']'")
            }
            return true
        case UInt8(ascii: "]"):
            position += 1
            depth -= 1
            return false
        default:
            throw unexpected(at: position, expected: "',' or ']'")
        }
    }
}
