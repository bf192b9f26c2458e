extension PythonJSONEncoder {
    /// Python's `str()` of the validated value at the parser's cursor, as the SDK's tool-name
    /// code takes it of a member it expects to be a string (`str(item.get("name"))`), with the
    /// value's truthiness (`if name and server_label:`); `nil` for `null` (Python's `None`, which
    /// the SDK treats as absent). The cursor ends just past the value.
    ///
    /// A string is itself; `7` is `"7"`, `1e400` is `"inf"`, `true` is `"True"`; an array or
    /// object is its `repr` (`[1, 'a']`, `{'k': None}`). Falsy: `""`, `0`, `0.0`, `false`,
    /// `[]`, `{}`.
    static func pythonStr(_ parser: inout JSONParser) throws(JSONParseError) -> (text: String, isTruthy: Bool)? {
        switch parser.peek() {
        case UInt8(ascii: "\""):
            let text = try parser.readString()
            return (text, !text.isEmpty)
        case UInt8(ascii: "n"):
            try parser.skipValue()
            return nil
        default:
            // Checked first as every other value is, so that a malformed one fails with the
            // parser's own error ("expected a value"), not with the encoder's view of it.
            var check = parser
            try check.skipValue()
            var encoder = PythonJSONEncoder(style: .repr)
            try encoder.encodeValue(&parser)
            let text = encoder.text
            return (text, !["0", "0.0", "-0.0", "False", "[]", "{}"].contains(text))
        }
    }

    /// `text` as Python's `repr` of a `str` writes it: in single quotes, or in double quotes
    /// when it holds a single quote and no double quote; `\\`, the quote, `\t`, `\n`, `\r`
    /// escaped, other control characters and non-printable ones as `\xhh`, `\uhhhh` or
    /// `\Uhhhhhhhh`; printable characters beyond ASCII as they are.
    static func repr(of text: String) -> String {
        let scalars = text.unicodeScalars
        let quote: Unicode.Scalar = scalars.contains("'") && !scalars.contains("\"") ? "\"" : "'"
        var out = String.UnicodeScalarView()
        out.append(quote)
        for scalar in scalars {
            switch scalar {
            case quote, "\\":
                out.append("\\")
                out.append(scalar)
            case "\t":
                out.append(contentsOf: #"\t"#.unicodeScalars)
            case "\n":
                out.append(contentsOf: #"\n"#.unicodeScalars)
            case "\r":
                out.append(contentsOf: #"\r"#.unicodeScalars)
            default:
                if scalar.value >= 0x20 && scalar.value < 0x7F || scalar.value > 0x7F && Self.isPrintable(scalar) {
                    out.append(scalar)
                } else {
                    let (prefix, width) = scalar.value <= 0xFF ? ("x", 2) : scalar.value <= 0xFFFF ? ("u", 4) : ("U", 8)
                    let hex = String(scalar.value, radix: 16)
                    out.append(
                        contentsOf: "\\\(prefix)\(String(repeating: "0", count: width - hex.count))\(hex)"
                            .unicodeScalars
                    )
                }
            }
        }
        out.append(quote)
        return String(out)
    }

    /// Python's `str.isprintable` of one character beyond ASCII: not in the categories Cc, Cf,
    /// Cs, Co, Cn, Zl, Zp, Zs.
    private static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator,
            .spaceSeparator:
            false
        default:
            true
        }
    }
}
