import Testing

@testable import AgentLedger

@Suite("JSONValue")
struct JSONValueTests {
    @Test("compact text with sorted members")
    func compactSortedText() {
        let value: JSONValue = [
            "role": "user",
            "content": [["type": "input_text", "text": "hi"]],
            "b": [1, 2.5, true, false, nil],
            "a": [:],
            "é": [],
        ]
        #expect(
            value.jsonText
                == #"{"a":{},"b":[1,2.5,true,false,null],"content":[{"text":"hi","type":"input_text"}],"role":"user","é":[]}"#
        )
        #expect(value.description == value.jsonText)
    }

    @Test("strings escape quotes, backslashes and control characters only")
    func stringEscapes() {
        let value = JSONValue.string("q\"b\\s/n\nr\rt\tb\u{8}f\u{C}z\u{0}u\u{1F}d\u{7F}é😀\u{2028}")
        #expect(value.jsonText == #""q\"b\\s/n\nr\rt\tb\bf\fz\u0000u\u001fd"# + "\u{7F}é😀\u{2028}\"")
    }

    @Test("numbers: integers plainly, others in shortest round-trip form")
    func numberText() {
        let cases: [(Double, String)] = [
            (0, "0"), (-0.0, "-0"), (42, "42"), (-7, "-7"), (0.1, "0.1"), (2.5, "2.5"),
            (9_007_199_254_740_991, "9007199254740991"), (9_007_199_254_740_992, "9007199254740992.0"), (1e16, "1e+16"),
            (1e100, "1e+100"), (-1.5e-7, "-1.5e-07"), (.leastNonzeroMagnitude, "5e-324"),
            (.infinity, "1e999"), (-.infinity, "-1e999"), (.nan, "null"),
        ]
        for (number, text) in cases {
            #expect(JSONValue.number(number).jsonText == text, "\(number)")
        }
        // Every written number reads back as itself (an infinity too; NaN has no spelling).
        for (number, _) in cases where !number.isNaN {
            let parsed = try? JSONValue(parsing: JSONValue.number(number).jsonText)
            #expect(parsed == .number(number), "\(number)")
        }
    }

    @Test("accessors")
    func accessors() {
        let value: JSONValue = ["s": "text", "n": 3, "f": 2.5, "b": true, "a": [1, "two"], "o": ["k": nil], "z": nil]
        #expect(value["s"]?.stringValue == "text")
        #expect(value["n"]?.intValue == 3)
        #expect(value["f"]?.intValue == nil)
        #expect(value["f"]?.doubleValue == 2.5)
        #expect(value["b"]?.boolValue == true)
        #expect(value["a"]?[1] == "two")
        #expect(value["a"]?[2] == nil)
        #expect(value["a"]?[-1] == nil)
        #expect(value["a"]?.arrayValue?.count == 2)
        #expect(value["o"]?.objectValue == ["k": .null])
        #expect(value["o"]?["k"]?.isNull == true)
        #expect(value["z"]?.isNull == true)
        #expect(value["missing"] == nil)
        #expect(value["s"]?["nested"] == nil)
        #expect(value["s"]?.intValue == nil)
        #expect(JSONValue.number(1e300).intValue == nil)
        #expect(value.stringValue == nil)
    }

    @Test("a repeated name in a dictionary literal keeps its last value")
    func dictionaryLiteral() {
        let value: JSONValue = ["a": 1, "a": 2]
        #expect(value == ["a": 2])
    }

    /// `{"a":[[...null...]]}`: an object holding `levels - 1` nested arrays, `levels` in all.
    static func nested(levels: Int) -> JSONValue {
        var value: JSONValue = .null
        for _ in 1..<levels {
            value = .array([value])
        }
        return ["a": value]
    }

    @Test("an item made from a value nested deeper than an item may is refused, not a stack overflow")
    func deepValueAsItem() throws {
        #expect(try SessionItem(Self.nested(levels: JSONParser.maxDepth)).value == Self.nested(levels: 512))
        // Deep enough that writing its text (one call per level) overflows the stack of a test's
        // thread, yet shallow enough for the test to build and release it.
        for levels in [JSONParser.maxDepth + 1, 15_000] {
            let error = #expect(throws: LedgerError.self, "\(levels) levels") {
                try SessionItem(Self.nested(levels: levels))
            }
            #expect(error?.code == .invalidItem)
            #expect(error?.message.contains("deeper than 512") == true, "\(String(describing: error))")
        }
        let array = #expect(throws: LedgerError.self) { try SessionItem(.array([Self.nested(levels: 15_000)])) }
        #expect(array?.message.contains("it is an array") == true, "\(String(describing: array))")
        let nan = #expect(throws: LedgerError.self) { try SessionItem(["a": [["b": .number(.nan)]]]) }
        #expect(nan?.message.contains("NaN") == true, "\(String(describing: nan))")
    }
}
