import Testing

@testable import AgentLedger

@Suite("SessionItem text and identity")
struct ItemRoundTripTests {
    /// Items whose text must come back byte for byte.
    static let trickyItems: [String] = [
        #"{"role":"user","content":"plain"}"#,
        #"{"role": "user", "content": "spaced out"}"#,
        "{\n  \"content\" : \"pretty\",\n\t\"role\" : \"user\"\r\n}\n",
        #"{"role":"user","content":"unicode: héllo wörld 中文 日本語 한국어 עברית العربية"}"#,
        #"{"role":"user","content":"emoji: 😀 👍🏽 🇫🇷 👨‍👩‍👧"}"#,
        #"{"role":"user","content":"escaped: \u00e9 \u4e2d \ud83d\ude00 \u2028"}"#,
        #"{"role":"user","content":"quotes \" and 'single' and backslashes \\ \\\\ \/"}"#,
        #"{"role":"user","content":"'; DROP TABLE items; -- and \" OR 1=1 -- and %_ LIKE"}"#,
        #"{"type":"function_call","arguments":"{\"nested\": \"json\", \"list\": [1, 2, {\"deep\": null}]}"}"#,
        #"{"role":"user","content":"NUL \u0000 and controls \u0001\u001f\b\f\n\r\t"}"#,
        #"{"z":1,"a":2,"m":{"z":[],"a":{}},"role":"user"}"#,
        #"{"type":"reasoning","unknown_future_field":{"x":[1.50,2e10,-0,1E-7]},"id":"rs_1"}"#,
        #"{"role":"user","role":"user","content":"repeated names are kept as written"}"#,
        #"{"numbers":[0,-0,1.0,1.50,1e400,12345678901234567890123456789,0.1e-3]}"#,
        "{\"raw\":\"\u{7F}\u{80}\u{FFFF}\u{10FFFF}\"}",
    ]

    @Test("the text round-trips byte for byte", arguments: trickyItems)
    func exactText(text: String) throws {
        let item = try SessionItem(json: text)
        #expect(item.json == text)
        #expect(item.jsonBytes == Array(text.utf8))
        #expect(item.description == text)
        let fromBytes = try SessionItem(jsonBytes: Array(text.utf8))
        #expect(fromBytes == item)
        #expect(fromBytes.json == text)
        #expect(fromBytes.facts == item.facts)
        #expect(item.value == (try JSONValue(parsing: text)))
    }

    @Test("the parsed value holds the decoded content")
    func parsedValue() throws {
        let item = try SessionItem(json: #"{"role":"user","content":"a\u0000b \ud83d\ude00","n":[1,2.5]}"#)
        #expect(item.value == ["role": "user", "content": "a\u{0}b 😀", "n": [1, 2.5]])
        #expect(item.value["content"]?.stringValue == "a\u{0}b 😀")
    }

    @Test("an item made from a value is its compact, sorted text")
    func fromValue() throws {
        let item = try SessionItem(["role": "user", "content": "Hello", "a": [1, nil]])
        #expect(item.json == #"{"a":[1,null],"content":"Hello","role":"user"}"#)
        #expect(item.facts.isUser)
        #expect(item.facts.turnContent == "Hello")
    }

    @Test("invalid items are rejected with an actionable message")
    func rejections() throws {
        let notJSON = try #require(throws: LedgerError.self) { try SessionItem(json: #"{"role":"user",}"#) }
        #expect(notJSON.code == .invalidItem)
        #expect(notJSON.message == "item is not valid JSON: trailing comma before '}' at byte 14")

        let badUTF8 = try #require(throws: LedgerError.self) {
            try SessionItem(jsonBytes: Array(#"{"content":""#.utf8) + [0xC0, 0x80] + Array(#""}"#.utf8))
        }
        #expect(badUTF8.message == "item is not valid JSON: invalid UTF-8 byte 0xC0 at byte 12")

        for (text, kind) in [
            ("[1]", "an array"), ("\"s\"", "a string"), ("42", "a number"), ("null", "null"), ("true", "a Boolean"),
        ] {
            let error = try #require(throws: LedgerError.self) { try SessionItem(json: " \(text) ") }
            #expect(error.code == .invalidItem)
            #expect(error.message.hasPrefix("item is not a JSON object: it is \(kind);"), "\(error)")
        }

        // Not an object, and not valid either: the syntax error is what is reported.
        let invalidArray = try #require(throws: LedgerError.self) { try SessionItem(json: "[1,]") }
        #expect(invalidArray.message == "item is not valid JSON: trailing comma before ']' at byte 2")

        let empty = try #require(throws: LedgerError.self) { try SessionItem(json: "") }
        #expect(empty.message.hasPrefix("item is not valid JSON: unexpected end of input"))

        let array = try #require(throws: LedgerError.self) { try SessionItem(JSONValue.array([1])) }
        #expect(array.code == .invalidItem)
        let nan = try #require(throws: LedgerError.self) { try SessionItem(["n": .number(.nan)]) }
        #expect(nan.code == .invalidItem)
        #expect(throws: Never.self) { try SessionItem(["n": .number(.infinity)]) }
    }

    @Test("items are equal and hash equal exactly when their bytes are")
    func identity() throws {
        let compact = try SessionItem(json: #"{"role":"user","content":"hi"}"#)
        let again = try SessionItem(jsonBytes: Array(#"{"role":"user","content":"hi"}"#.utf8))
        let spaced = try SessionItem(json: #"{"role": "user", "content": "hi"}"#)
        let escaped = try SessionItem(json: #"{"role":"user","content":"h\u0069"}"#)
        #expect(compact == again)
        #expect(compact.hashValue == again.hashValue)
        #expect(compact != spaced)
        #expect(compact != escaped)
        #expect(compact.value == spaced.value)
        #expect(compact.value == escaped.value)
        #expect(Set([compact, again, spaced, escaped]).count == 3)
    }
}
