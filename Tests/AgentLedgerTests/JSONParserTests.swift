import Testing

@testable import AgentLedger

@Suite("JSON parser")
struct JSONParserTests {
    /// Documents every mode must accept.
    static let validDocuments: [String] = [
        "{}",
        "[]",
        " \t\r\n{\"a\" : [ 1 , 2.5 , -0 , 0e0 , 1E+2 , 1e-2 , true , false , null ] } \n",
        "\"x\"",
        "0",
        "-0",
        "-0.0e-0",
        "123456789012345678901234567890",
        "1.5e300",
        "1e400",
        "-1e400",
        "1e-400",
        "1e99999999999999999999",
        #""\u0000""#,
        #""\ud83d\ude00""#,
        #""\uD83D\uDE00""#,
        #""\/\b\f\n\r\t\"\\""#,
        "\"é😀中\u{7F}\u{2028}\"",
        #""\u00e9 long enough to cross eight-byte words \u00e9 and again \" here""#,
        #"{"nested":{"deeper":[{"deepest":[[[]]]}]}}"#,
        #"{"a":1,"a":2}"#,
        String(repeating: "[", count: JSONParser.maxDepth) + String(repeating: "]", count: JSONParser.maxDepth),
    ]

    /// Documents every mode must reject: the text, the start of the reason, the byte offset.
    static let invalidDocuments: [(text: [UInt8], reason: String, offset: Int)] = [
        (bytes(""), "unexpected end of input", 0),
        (bytes("   "), "unexpected end of input", 3),
        (bytes(#"{"a":1,}"#), "trailing comma before '}'", 6),
        (bytes("[1,2,]"), "trailing comma before ']'", 4),
        (bytes("[01]"), "leading zero in a number", 1),
        (bytes("-01"), "leading zero in a number", 1),
        (bytes("-"), "unexpected end of input (expected a digit)", 1),
        (bytes("-a"), "unexpected character 'a' (expected a digit)", 1),
        (bytes("1."), "unexpected end of input (expected a digit after the decimal point)", 2),
        (bytes("1.e5"), "unexpected character 'e' (expected a digit after the decimal point)", 2),
        (bytes("1e"), "unexpected end of input (expected a digit in the exponent)", 2),
        (bytes("1e+"), "unexpected end of input (expected a digit in the exponent)", 3),
        (bytes(".5"), "unexpected character '.'", 0),
        (bytes("+1"), "unexpected character '+'", 0),
        (bytes("0x10"), "unexpected character 'x' after the end of the JSON value", 1),
        (bytes("NaN"), "unexpected character 'N'", 0),
        (bytes("Infinity"), "unexpected character 'I'", 0),
        (bytes("'a'"), "unexpected character '''", 0),
        (bytes(#""abc"#), "unterminated string", 0),
        (bytes("\"a\u{01}b\""), "raw control character 0x01 in a string", 2),
        (bytes("\"a\nb\""), "raw control character 0x0A in a string", 2),
        (bytes("\"a\tb\""), "raw control character 0x09 in a string", 2),
        (bytes(#""\q""#), "invalid escape '\\q' in a string", 1),
        (bytes(#""\x41""#), "invalid escape '\\x' in a string", 1),
        (bytes(#""\u12g4""#), "invalid \\u escape: character 'g' is not a hex digit", 5),
        (bytes(#""\u12"#), "unexpected end of input in a \\u escape", 5),
        (bytes(#""\ud800""#), "lone surrogate \\uD800 in a string", 1),
        (bytes(#""\udc00""#), "lone surrogate \\uDC00 in a string", 1),
        (bytes(#""\ud800\u0041""#), "lone surrogate \\uD800 in a string", 1),
        (bytes(#""\ud800\ud800""#), "lone surrogate \\uD800 in a string", 1),
        (bytes(#""x\ud800x""#), "lone surrogate \\uD800 in a string", 2),
        ([0x22, 0xC0, 0xAF, 0x22], "invalid UTF-8 byte 0xC0", 1),
        ([0x22, 0xC1, 0xBF, 0x22], "invalid UTF-8 byte 0xC1", 1),
        ([0x22, 0xE0, 0x80, 0xAF, 0x22], "invalid UTF-8 byte 0x80 after lead byte 0xE0", 2),
        ([0x22, 0xED, 0xA0, 0x80, 0x22], "invalid UTF-8 byte 0xA0 after lead byte 0xED", 2),
        ([0x22, 0xF0, 0x80, 0x80, 0x80, 0x22], "invalid UTF-8 byte 0x80 after lead byte 0xF0", 2),
        ([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], "invalid UTF-8 byte 0x90 after lead byte 0xF4", 2),
        ([0x22, 0xF5, 0x80, 0x80, 0x80, 0x22], "invalid UTF-8 byte 0xF5", 1),
        ([0x22, 0x80, 0x22], "invalid UTF-8 byte 0x80", 1),
        ([0x22, 0xFF, 0x22], "invalid UTF-8 byte 0xFF", 1),
        ([0x22, 0xE2, 0x82, 0x22], "invalid UTF-8 byte 0x22 after lead byte 0xE2", 3),
        ([0x22, 0xC3], "unexpected end of input in a UTF-8 sequence", 2),
        ([0xC3, 0xA9], "unexpected byte 0xC3", 0),
        ([0xEF, 0xBB, 0xBF, 0x7B, 0x7D], "unexpected byte 0xEF", 0),
        (bytes(#"{"a" 1}"#), "unexpected character '1' (expected ':' after a member name)", 5),
        (bytes("{a:1}"), "unexpected character 'a' (expected a member name in double quotes)", 1),
        (bytes("{1:1}"), "unexpected character '1' (expected a member name in double quotes)", 1),
        (bytes(#"{"a":1 "b":2}"#), "unexpected character '\"' (expected ',' or '}')", 7),
        (bytes("[1 2]"), "unexpected character '2' (expected ',' or ']')", 3),
        (bytes("[1,,2]"), "unexpected character ',' (expected a value)", 3),
        (bytes("[,]"), "unexpected character ',' (expected a value)", 1),
        (bytes(#"{"a":}"#), "unexpected character '}' (expected a value)", 5),
        (bytes("tru"), "unexpected end of input", 3),
        (bytes("nul1"), "unexpected character '1'", 3),
        (bytes("True"), "unexpected character 'T'", 0),
        (bytes("{} {}"), "unexpected character '{' after the end of the JSON value", 3),
        (bytes("[1]]"), "unexpected character ']' after the end of the JSON value", 3),
        (bytes("["), "unexpected end of input", 1),
        (bytes("{"), "unexpected end of input (expected a member name in double quotes)", 1),
        (bytes(#"{"a":1"#), "unexpected end of input (expected ',' or '}')", 6),
        (bytes("// comment\n{}"), "unexpected character '/'", 0),
        (bytes("\u{0C}{}"), "unexpected byte 0x0C", 0),
        (bytes("{}\u{00}"), "unexpected byte 0x00 after the end of the JSON value", 2),
        (
            bytes(String(repeating: "[", count: JSONParser.maxDepth + 1) + String(repeating: "]", count: 513)),
            "nesting deeper than 512 arrays and objects", 512
        ),
        (
            bytes(String(repeating: #"{"a":"#, count: 600)),
            "nesting deeper than 512 arrays and objects", 512 * 5
        ),
    ]

    static func bytes(_ text: String) -> [UInt8] {
        Array(text.utf8)
    }

    static func validationError(_ bytes: [UInt8]) -> JSONParseError? {
        do {
            try JSONParser.validate(bytes)
            return nil
        } catch {
            return error
        }
    }

    static func parseError(_ bytes: [UInt8]) -> JSONParseError? {
        do {
            _ = try JSONParser.parse(bytes)
            return nil
        } catch {
            return error
        }
    }

    @Test("accepts valid documents in both modes", arguments: validDocuments)
    func acceptsValid(text: String) throws {
        #expect(Self.validationError(Self.bytes(text)) == nil)
        #expect(Self.parseError(Self.bytes(text)) == nil)
        // Inside an item, in the members the scan reads and in one it skips (one level deeper).
        guard text.utf8.count < 2 * JSONParser.maxDepth else {
            return
        }
        for name in ["content", "output", "summary", "role", "other"] {
            let item = #"{"\#(name)":\#(text)}"#
            #expect(throws: Never.self) { try SessionItem(json: item) }
        }
    }

    @Test("rejects invalid documents with the offset and the reason", arguments: 0..<invalidDocuments.count)
    func rejectsInvalid(index: Int) throws {
        let (text, reason, offset) = Self.invalidDocuments[index]
        let error = try #require(Self.validationError(text))
        #expect(error.reason.hasPrefix(reason), "\(error)")
        #expect(error.offset == offset, "\(error)")
        #expect(Self.parseError(text) == error)
    }

    @Test("the item scan rejects exactly what the parser rejects, at the same offset")
    func scanAgreesWithParser() throws {
        for (text, _, _) in Self.invalidDocuments where !text.isEmpty {
            for name in ["content", "output", "summary", "queries", "action", "unknown"] {
                let prefix = Array(#"{"role":"user","\#(name)":"#.utf8)
                let item = prefix + text + Array("}".utf8)
                let parserError = try #require(Self.validationError(item))
                let error = try #require(throws: LedgerError.self) { try SessionItem(jsonBytes: item) }
                #expect(error.code == .invalidItem)
                #expect(error.underlying as? JSONParseError == parserError, "\(error) vs \(parserError)")
            }
        }
    }

    @Test("the reason is readable")
    func readableMessage() throws {
        let error = try #require(Self.validationError(Self.bytes(#"{"role": "user", "x": 1, "y": x}"#)))
        #expect(error.description == "unexpected character 'x' (expected a value) at byte 30")
    }

    @Test("numbers convert to the nearest Double")
    func numbers() throws {
        let cases: [(String, Double)] = [
            ("0", 0), ("-0", -0.0), ("42", 42), ("-42", -42), ("999999999999999", 999_999_999_999_999),
            ("9007199254740993", 9_007_199_254_740_992), ("0.1", 0.1), ("1e2", 100), ("1E-2", 0.01),
            ("2.5e+3", 2500), ("1e400", .infinity), ("-1e400", -.infinity), ("1e-400", 0),
            ("123456789012345678901234567890", 1.2345678901234568e29),
            ("1.7976931348623157e308", .greatestFiniteMagnitude), ("5e-324", .leastNonzeroMagnitude),
        ]
        for (text, expected) in cases {
            let value = try JSONParser.parse(Self.bytes(text))
            #expect(value == .number(expected), "\(text)")
            if case .number(let number) = value {
                #expect(number.sign == expected.sign, "\(text)")
            }
        }
    }

    @Test("strings decode escapes, surrogate pairs and UTF-8")
    func strings() throws {
        let cases: [(String, String)] = [
            (#""plain""#, "plain"),
            (#""\u0000""#, "\u{0}"),
            (#""\ud83d\ude00 and \uD83D\uDE00""#, "😀 and 😀"),
            (#""\/\b\f\n\r\t\"\\""#, "/\u{8}\u{C}\n\r\t\"\\"),
            (#""\u00e9\u00E9é""#, "ééé"),
            (#""\u4e2d\u6587""#, "中文"),
            (#""a\"b\"c\\d long enough for several words\u0021""#, "a\"b\"c\\d long enough for several words!"),
        ]
        for (text, expected) in cases {
            #expect(try JSONParser.parse(Self.bytes(text)) == .string(expected), "\(text)")
        }
    }

    @Test("a repeated member name keeps its last value")
    func repeatedNames() throws {
        let value = try JSONParser.parse(Self.bytes(#"{"a":1,"b":2,"a":3}"#))
        #expect(value == ["a": 3, "b": 2])
    }

    @Test("the public parsing initializer reports an invalid argument")
    func publicParsing() throws {
        #expect(try JSONValue(parsing: #"[1, "two", {"three": null}]"#) == [1, "two", ["three": nil]])
        let error = try #require(throws: LedgerError.self) { try JSONValue(parsing: "[1,]") }
        #expect(error.code == .invalidArgument)
        #expect(error.message == "not valid JSON: trailing comma before ']' at byte 2")
    }
}
