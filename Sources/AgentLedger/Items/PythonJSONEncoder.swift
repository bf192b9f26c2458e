/// Re-encodes JSON text exactly as Python's `json.dumps(json.loads(text))` would, with its
/// defaults: separators `", "` and `": "`, `ensure_ascii=True`, members in their original order;
/// or, with `ensureASCII` false, as `json.dumps(json.loads(text), ensure_ascii=False)`.
///
/// This is how a user turn's list content becomes text (``ItemFacts/turnContent``): the same
/// string a Python developer gets from `json.dumps(turn["full_content"])` with the Agents SDK;
/// and, without `ensure_ascii`, the text its preview cuts (``ItemFacts/previewText``), as the
/// SDK's `_content_preview` encodes it. The details that make it exact:
/// - a repeated member name keeps its first position and its last value (a Python `dict`);
///   names are compared by code points, not by Swift's canonical equivalence;
/// - strings escape `"` `\` `\n` `\r` `\t` `\b` `\f`, and every other character outside
///   U+0020...U+007E as `\u` with four lowercase hex digits (a surrogate pair above U+FFFF);
///   without `ensureASCII`, only the other characters below U+0020 are escaped so (as Python's
///   `ensure_ascii=False` does: U+007F and everything above U+007F stay as they are);
/// - an integer keeps its digits (Python's `int` is unbounded), except that `-0` becomes `0`;
/// - any other number is a `float` written with Python's `repr` (`1e+16`, `1e-05`, `100000.0`),
///   and one beyond `Double`'s range is `Infinity` or `-Infinity`.
///
/// It also writes Python's `str(json.loads(text))` (see `PythonJSONEncoder+Str.swift`), which
/// has the same layout with Python's own literals and string quoting.
struct PythonJSONEncoder {
    /// What the encoder writes.
    enum Style {
        /// `json.dumps`; `ensureASCII` is Python's `ensure_ascii`: escape every character outside
        /// U+0020...U+007E.
        case json(ensureASCII: Bool)
        /// `repr`: `True`, `False`, `None`, `inf`, strings quoted as Python's `repr` quotes them.
        case repr
    }

    private(set) var output: [UInt8] = []
    let style: Style

    init(style: Style) {
        self.style = style
    }

    /// Python's `ensure_ascii` (false for `repr`, which keeps printable characters as they are).
    private var ensureASCII: Bool {
        if case .json(let ensureASCII) = style {
            return ensureASCII
        }
        return false
    }

    /// The Python encoding of the validated value that starts at the parser's cursor; the cursor
    /// ends just past the value. `ensureASCII` is Python's `ensure_ascii` (true by default).
    static func encode(_ parser: inout JSONParser, ensureASCII: Bool = true) throws(JSONParseError) -> String {
        var encoder = PythonJSONEncoder(style: .json(ensureASCII: ensureASCII))
        encoder.output.reserveCapacity(256)
        try encoder.encodeValue(&parser)
        return String(decoding: encoder.output, as: UTF8.self)
    }

    /// The text so far.
    var text: String {
        String(decoding: output, as: UTF8.self)
    }

    /// Writes the validated value that starts at the parser's cursor; the cursor ends just past it.
    mutating func encodeValue(_ parser: inout JSONParser) throws(JSONParseError) {
        let isJSON = if case .json = style { true } else { false }
        switch parser.peek() {
        case UInt8(ascii: "\""):
            let token = try parser.scanString()
            if isJSON {
                writeString(token, of: parser)
            } else {
                output.append(contentsOf: Self.repr(of: parser.string(of: token)).utf8)
            }
        case UInt8(ascii: "{"):
            try encodeObject(&parser)
        case UInt8(ascii: "["):
            output.append(UInt8(ascii: "["))
            if try parser.beginArray() {
                var first = true
                repeat {
                    if !first {
                        output.append(contentsOf: [UInt8(ascii: ","), UInt8(ascii: " ")])
                    }
                    first = false
                    try encodeValue(&parser)
                } while try parser.endElement()
            }
            output.append(UInt8(ascii: "]"))
        case UInt8(ascii: "t"):
            try parser.expectLiteral("true")
            output.append(contentsOf: (isJSON ? "true" : "True").utf8)
        case UInt8(ascii: "f"):
            try parser.expectLiteral("false")
            output.append(contentsOf: (isJSON ? "false" : "False").utf8)
        case UInt8(ascii: "n"):
            try parser.expectLiteral("null")
            output.append(contentsOf: (isJSON ? "null" : "None").utf8)
        default:
            let token = try parser.scanNumber()
            if token.isInteger {
                let digits = parser.bytes(of: token)
                if digits.count == 2 && digits[0] == UInt8(ascii: "-") && digits[1] == UInt8(ascii: "0") {
                    output.append(UInt8(ascii: "0"))
                } else {
                    output.append(contentsOf: digits)
                }
            } else {
                let value = parser.doubleValue(of: token)
                if !isJSON && value.isInfinite {
                    output.append(contentsOf: (value < 0 ? "-inf" : "inf").utf8)
                } else {
                    output.append(contentsOf: Self.floatRepr(value).utf8)
                }
            }
        }
    }

    private mutating func encodeObject(_ parser: inout JSONParser) throws(JSONParseError) {
        // Collect the members first: a repeated name keeps its first place and its last value.
        var names: [JSONParser.StringToken] = []
        var valueOffsets: [Int] = []
        var indexByName: [[UInt8]: Int] = [:]  // Only for objects with many members.
        if try parser.beginObject() {
            repeat {
                let name = try parser.readMemberName()
                if let index = Self.index(of: name, in: names, byName: &indexByName, parser: parser) {
                    valueOffsets[index] = parser.position
                } else {
                    if !indexByName.isEmpty {
                        indexByName[Self.decodedBytes(of: name, in: parser)] = names.count
                    }
                    names.append(name)
                    valueOffsets.append(parser.position)
                }
                try parser.skipValue()
            } while try parser.endMember()
        }
        let after = parser.position
        output.append(UInt8(ascii: "{"))
        for index in names.indices {
            if index > 0 {
                output.append(contentsOf: [UInt8(ascii: ","), UInt8(ascii: " ")])
            }
            if case .json = style {
                writeString(names[index], of: parser)
            } else {
                output.append(contentsOf: Self.repr(of: parser.string(of: names[index])).utf8)
            }
            output.append(contentsOf: [UInt8(ascii: ":"), UInt8(ascii: " ")])
            parser.position = valueOffsets[index]
            try encodeValue(&parser)
        }
        output.append(UInt8(ascii: "}"))
        parser.position = after
    }

    /// The index of the member already named `name` (compared by code points), if any. Small
    /// objects are searched linearly; past 16 members, `byName` indexes them.
    private static func index(
        of name: JSONParser.StringToken,
        in names: [JSONParser.StringToken],
        byName: inout [[UInt8]: Int],
        parser: JSONParser
    ) -> Int? {
        if names.count < 16 {
            return names.firstIndex { sameName($0, name, parser) }
        }
        if byName.isEmpty {
            for (index, earlier) in names.enumerated().reversed() {
                byName[decodedBytes(of: earlier, in: parser)] = index
            }
        }
        return byName[decodedBytes(of: name, in: parser)]
    }

    private static func sameName(
        _ lhs: JSONParser.StringToken,
        _ rhs: JSONParser.StringToken,
        _ parser: JSONParser
    ) -> Bool {
        if !lhs.hasEscapes && !rhs.hasEscapes {
            return rawBytes(of: lhs, in: parser).elementsEqual(rawBytes(of: rhs, in: parser))
        }
        return decodedBytes(of: lhs, in: parser) == decodedBytes(of: rhs, in: parser)
    }

    private static func rawBytes(of token: JSONParser.StringToken, in parser: JSONParser) -> UnsafeBufferPointer<UInt8>
    {
        UnsafeBufferPointer(start: parser.base + token.start, count: token.end - token.start)
    }

    private static func decodedBytes(of token: JSONParser.StringToken, in parser: JSONParser) -> [UInt8] {
        token.hasEscapes ? Array(parser.string(of: token).utf8) : Array(rawBytes(of: token, in: parser))
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Writes a validated string token, quoted and escaped as Python does (with or without
    /// `ensure_ascii`).
    private mutating func writeString(_ token: JSONParser.StringToken, of parser: JSONParser) {
        if token.hasEscapes {
            var decoded = parser.string(of: token)
            decoded.withUTF8 { writeString(utf8: $0) }
        } else {
            writeString(utf8: Self.rawBytes(of: token, in: parser))
        }
    }

    /// Writes valid UTF-8 text, quoted: printable ASCII runs as they are (without `ensureASCII`,
    /// every character from U+0020 on), the rest escaped.
    private mutating func writeString(utf8 bytes: UnsafeBufferPointer<UInt8>) {
        output.append(UInt8(ascii: "\""))
        var runStart = 0
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte >= 0x20 && (byte < 0x7F || !ensureASCII) && byte != UInt8(ascii: "\"")
                && byte != UInt8(ascii: "\\")
            {
                index += 1
                continue
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                output.append(contentsOf: [UInt8(ascii: "\\"), byte])
            case 0x0A:
                output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D:
                output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09:
                output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x08:
                output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C:
                output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0..<0x80:
                writeUnicodeEscape(UInt16(byte))
            default:
                // A multi-byte sequence, already validated: decode its scalar.
                let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2
                var scalar = UInt32(byte) & (0x7F >> length)
                for offset in 1..<length {
                    scalar = scalar << 6 | UInt32(bytes[index + offset] & 0x3F)
                }
                if scalar >= 0x10000 {
                    let offset = scalar - 0x10000
                    writeUnicodeEscape(UInt16(0xD800 + (offset >> 10)))
                    writeUnicodeEscape(UInt16(0xDC00 + (offset & 0x3FF)))
                } else {
                    writeUnicodeEscape(UInt16(scalar))
                }
                index += length - 1
            }
            index += 1
            runStart = index
        }
        output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
        output.append(UInt8(ascii: "\""))
    }

    private mutating func writeUnicodeEscape(_ unit: UInt16) {
        output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u")])
        for shift in stride(from: 12, through: 0, by: -4) {
            output.append(Self.hexDigits[Int(unit >> UInt16(shift) & 0xF)])
        }
    }

    /// Python's `repr` of a float: the shortest digits that read back as the same `Double`,
    /// positional when the decimal exponent is in -4...15 (`0.0001`, `1000000000000000.0`),
    /// scientific otherwise (`1e-05`, `1e+16`, `1.5e+300`).
    static func floatRepr(_ value: Double) -> String {
        if value.isNaN {
            return "NaN"
        }
        if value.isInfinite {
            return value < 0 ? "-Infinity" : "Infinity"
        }
        let sign = value.sign == .minus ? "-" : ""
        if value == 0 {
            return sign + "0.0"
        }
        // Swift's description has the same shortest round-trip digits; only the layout differs.
        let (digits, pointPosition) = decimalDigits(of: value.magnitude.description)
        let exponent = pointPosition - 1
        if pointPosition <= -4 || pointPosition > 16 {
            var mantissa = String(digits.first!)
            if digits.count > 1 {
                mantissa += "." + digits.dropFirst()
            }
            let exponentDigits = String(exponent.magnitude)
            let paddedExponent = exponentDigits.count < 2 ? "0" + exponentDigits : exponentDigits
            return sign + mantissa + (exponent < 0 ? "e-" : "e+") + paddedExponent
        }
        if pointPosition <= 0 {
            return sign + "0." + String(repeating: "0", count: -pointPosition) + digits
        }
        if pointPosition >= digits.count {
            return sign + digits + String(repeating: "0", count: pointPosition - digits.count) + ".0"
        }
        let split = digits.index(digits.startIndex, offsetBy: pointPosition)
        return sign + digits[..<split] + "." + digits[split...]
    }

    /// The significant digits of a positive, finite `description` ("0.001", "1.5e+20") and the
    /// position of the decimal point relative to the first of them (value = 0.DIGITS × 10^position).
    private static func decimalDigits(of description: String) -> (digits: String, pointPosition: Int) {
        var mantissa = Substring(description)
        var exponent = 0
        if let e = description.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = description[..<e]
            exponent = Int(description[description.index(after: e)...]) ?? 0
        }
        var digits = ""
        var integerDigits = 0
        var seenPoint = false
        for character in mantissa {
            if character == "." {
                seenPoint = true
            } else {
                digits.append(character)
                if !seenPoint {
                    integerDigits += 1
                }
            }
        }
        let leadingZeros = digits.prefix { $0 == "0" }.count
        var significant = digits.dropFirst(leadingZeros)
        while significant.last == "0" {
            significant = significant.dropLast()
        }
        return (String(significant), integerDigits - leadingZeros + exponent)
    }
}
