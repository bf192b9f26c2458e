import Testing

@testable import AgentLedger

@Suite("Item content: turn content, previews, content search, search text")
struct ItemContentTests {
    static func facts(_ json: String) throws -> ItemFacts {
        try SessionItem(json: json).facts
    }

    // MARK: Turn content and previews

    @Test("a string content is the turn content as it is")
    func stringContent() throws {
        let facts = try Self.facts(#"{"role":"user","content":"Hello \"there\" \\ \u00e9 😀\n"}"#)
        #expect(facts.turnContent == "Hello \"there\" \\ é 😀\n")
        #expect(facts.preview == facts.turnContent)
    }

    @Test("a missing or null content is empty; its preview is \"\" or \"null\", as the SDK's")
    func missingContent() throws {
        #expect(try Self.facts(#"{"role":"user"}"#).turnContent == "")
        #expect(try Self.facts(#"{"role":"user"}"#).preview == "")
        #expect(try Self.facts(#"{"role":"user","content":null}"#).turnContent == "")
        #expect(try Self.facts(#"{"role":"user","content":null}"#).preview == "null")
        #expect(try Self.facts(#"{"role":"assistant","content":"x"}"#).turnContent == nil)
        #expect(try Self.facts(#"{"role":"assistant","content":"x"}"#).preview == nil)
    }

    @Test("a preview keeps exactly 100 code points, then adds ...")
    func previewLength() throws {
        let hundred = String(repeating: "a", count: 100)
        #expect(ItemFacts.preview(of: hundred) == hundred)
        #expect(ItemFacts.preview(of: hundred + "b") == hundred + "...")
        #expect(ItemFacts.preview(of: "") == "")
        #expect(ItemFacts.preview(of: "short") == "short")

        // Multi-byte characters count once each, as Python counts code points.
        let accents = String(repeating: "é", count: 100)
        #expect(ItemFacts.preview(of: accents) == accents)
        #expect(ItemFacts.preview(of: accents + "x") == accents + "...")
        let emoji = String(repeating: "😀", count: 101)
        #expect(ItemFacts.preview(of: emoji) == String(repeating: "😀", count: 100) + "...")
        #expect(ItemFacts.preview(of: emoji).unicodeScalars.count == 103)

        // A flag is two code points: the cut may fall between them, as in Python.
        let flags = String(repeating: "🇫🇷", count: 51)
        let cut = ItemFacts.preview(of: flags)
        #expect(cut.unicodeScalars.count == 103)
        #expect(cut.hasPrefix(String(repeating: "🇫🇷", count: 50)))

        let item = try Self.facts(#"{"role":"user","content":"\#(String(repeating: "ß", count: 150))"}"#)
        #expect(item.preview == String(repeating: "ß", count: 100) + "...")
        #expect(item.turnContent == String(repeating: "ß", count: 150))
    }

    @Test("list content is JSON-encoded as Python's json.dumps does by default")
    func listContent() throws {
        let facts = try Self.facts(
            #"{"role":"user","content":[{"type":"input_text","text":"h\u00e9llo \"q\" \\ 😀\u0000\u007f\t"},"#
                + #"{"type":"input_image","image_url":"data:..","detail":"auto"}]}"#
        )
        let expected =
            #"[{"type": "input_text", "text": "h\u00e9llo \"q\" \\ \ud83d\ude00\u0000\u007f\t"}, "#
            + #"{"type": "input_image", "image_url": "data:..", "detail": "auto"}]"#
        #expect(facts.turnContent == expected)
        // The preview is json.dumps(content, ensure_ascii=False): only control characters escaped.
        let unescaped =
            #"[{"type": "input_text", "text": "héllo \"q\" \\ 😀\u0000"# + "\u{7F}" + #"\t"}, "#
            + #"{"type": "input_image", "image_url": "data:..", "detail": "auto"}]"#
        #expect(facts.preview == String(unescaped.unicodeScalars.prefix(100)) + "...")
        #expect(facts.findTexts == ["héllo \"q\" \\ 😀\u{0}\u{7F}\t"])
    }

    /// `_content_preview(json.loads(item).get("content", ""), 100)` from openai-agents 0.24.0
    /// (CPython 3.11): `json.dumps(content, ensure_ascii=False)` for anything but a string.
    static let sdkPreviews: [(item: String, preview: String)] = [
        (
            #"{"role":"user","content":[{"type":"input_text","text":"été"}]}"#,
            #"[{"type": "input_text", "text": "été"}]"#
        ),
        (
            #"{"role":"user","content":[{"type":"input_text","text":"e\u0301 \u2028 😀\u0000\u007f\t"}]}"#,
            #"[{"type": "input_text", "text": "e"# + "\u{301} \u{2028} 😀" + #"\u0000"# + "\u{7F}" + #"\t"}]"#
        ),
        (
            #"{"role":"user","content":[{"type":"input_text","text":"\#(String(repeating: "é", count: 120))"}]}"#,
            #"[{"type": "input_text", "text": ""# + String(repeating: "é", count: 67) + "..."
        ),
        (#"{"role":"user","content":null}"#, "null"),
        (#"{"role":"user"}"#, ""),
        (#"{"role":"user","content":42}"#, "42"),
        (#"{"role":"user","content":true}"#, "true"),
        (#"{"role":"user","content":{"b":1,"a":[2.50,1e400,-0]}}"#, #"{"b": 1, "a": [2.5, Infinity, 0]}"#),
        (#"{"role":"user","content":"plain \u00e9"}"#, "plain é"),
    ]

    @Test("a preview is the SDK's: non-string content JSON-encoded without ensure_ascii", arguments: sdkPreviews)
    func sdkPreview(item: String, preview: String) throws {
        #expect(try Self.facts(item).preview == preview)
    }

    /// Expected outputs produced by CPython 3.11's `json.dumps(json.loads(text))`.
    static let pythonEncodings: [(String, String)] = [
        (
            #"[1, -0, 12345678901234567890123, 1.0, 1e5, true, false, null, [], {}, {"b":1,"a":2,"b":3}]"#,
            #"[1, 0, 12345678901234567890123, 1.0, 100000.0, true, false, null, [], {}, {"b": 3, "a": 2}]"#
        ),
        (#"[{"text":"\u2028\ud83d\ude00"}]"#, #"[{"text": "\u2028\ud83d\ude00"}]"#),
        (
            "[ {\n \"k\" :\t[ 1 , { } ] } ,\"é\u{301}\" ]",
            #"[{"k": [1, {}]}, "\u00e9\u0301"]"#
        ),
        (#"{"a":{"x":1},"b":[1e400,-1e400]}"#, #"{"a": {"x": 1}, "b": [Infinity, -Infinity]}"#),
        (#""just a string""#, #""just a string""#),
        (#"3.0"#, #"3.0"#),
    ]

    @Test("the Python encoding matches CPython", arguments: 0..<pythonEncodings.count)
    func pythonEncoding(index: Int) throws {
        let (input, expected) = Self.pythonEncodings[index]
        let encoded = try JSONParser.run(Array(input.utf8)) { parser throws(JSONParseError) in
            parser.skipWhitespace()
            return try PythonJSONEncoder.encode(&parser)
        }
        #expect(encoded == expected)
    }

    @Test("object and number content is JSON-encoded too")
    func otherContent() throws {
        #expect(
            try Self.facts(#"{"role":"user","content":{"b":1,"a":[2.50]}}"#).turnContent == #"{"b": 1, "a": [2.5]}"#
        )
        #expect(try Self.facts(#"{"role":"user","content":42}"#).turnContent == "42")
        #expect(try Self.facts(#"{"role":"user","content":true}"#).turnContent == "true")
    }

    /// `repr(float(text))` from CPython 3.11.
    static let floatReprs: [(String, String)] = [
        ("1.0", "1.0"), ("1e16", "1e+16"), ("1e15", "1000000000000000.0"), ("0.0001", "0.0001"),
        ("0.00001", "1e-05"), ("123.456", "123.456"), ("-2.5e-7", "-2.5e-07"), ("1E2", "100.0"),
        ("1.5e300", "1.5e+300"), ("5e-324", "5e-324"), ("1.7976931348623157e308", "1.7976931348623157e+308"),
        ("9007199254740993.0", "9007199254740992.0"), ("0.1", "0.1"), ("100000.0", "100000.0"),
        ("-0.0", "-0.0"), ("0.30000000000000004", "0.30000000000000004"),
        ("123456789012345678.0", "1.2345678901234568e+17"), ("2.5E+3", "2500.0"), ("1e400", "Infinity"),
        ("-1e400", "-Infinity"), ("1e-400", "0.0"), ("0.000123", "0.000123"), ("1234567.125", "1234567.125"),
    ]

    @Test("float repr matches CPython")
    func floatRepr() throws {
        for (text, expected) in Self.floatReprs {
            guard case .number(let value) = try JSONValue(parsing: text) else {
                Issue.record("\(text) is not a number")
                continue
            }
            #expect(PythonJSONEncoder.floatRepr(value) == expected, "\(text)")
        }
        #expect(PythonJSONEncoder.floatRepr(.nan) == "NaN")
    }

    // MARK: Content search

    @Test("content search: literal, case-insensitive, in strings and part texts only")
    func contentSearch() throws {
        let plain = try Self.facts(#"{"role":"user","content":"Is 100% of the_file \"quoted\" C:\\path?"}"#)
        #expect(plain.userContentContains("100%"))
        #expect(plain.userContentContains("IS 100"))
        #expect(plain.userContentContains("the_file"))
        #expect(plain.userContentContains("\"quoted\""))
        #expect(plain.userContentContains("c:\\PATH"))
        #expect(plain.userContentContains(""))
        #expect(!plain.userContentContains("%%"))
        #expect(!plain.userContentContains("the%file"))
        #expect(!plain.userContentContains("content"))
        #expect(!plain.userContentContains("role"))

        let parts = try Self.facts(
            #"{"role":"user","content":[{"type":"input_text","text":"ab"},{"type":"input_text","text":"cd"},"#
                + #"{"type":"input_image","image_url":"https://example.com/x.png"},"plain part"]}"#
        )
        #expect(parts.findTexts == ["ab", "cd", "plain part"])
        #expect(parts.findText == "ab\ncd\nplain part")
        #expect(parts.userContentContains("AB"))
        #expect(parts.userContentContains("plain"))
        #expect(!parts.userContentContains("bc"))
        #expect(!parts.userContentContains("input_text"))
        #expect(!parts.userContentContains("type"))
        #expect(!parts.userContentContains("example.com"))

        let assistant = try Self.facts(#"{"role":"assistant","content":"hello"}"#)
        #expect(!assistant.userContentContains("hello"))
        #expect(assistant.findText == nil)
    }

    @Test("content search folds case beyond ASCII")
    func unicodeCaseFolding() throws {
        let facts = try Self.facts(#"{"role":"user","content":"Die Straße in Ørsted, ÉTÉ, σοφίας"}"#)
        #expect(facts.userContentContains("STRASSE"))
        #expect(facts.userContentContains("straße"))
        #expect(facts.userContentContains("ørsted"))
        #expect(facts.userContentContains("été"))
        #expect(facts.userContentContains("ΣΟΦΊΑΣ"))
        #expect(facts.userContentContains("e\u{301}t"))  // A decomposed é finds a precomposed one.
        #expect(!facts.userContentContains("ETE"))  // Accents are not ignored.
    }

    @Test("content search never matches part of a character")
    func wholeCharacters() throws {
        let family = try Self.facts(
            #"{"role":"user","content":"Our \ud83d\udc68\u200d\ud83d\udc69\u200d\ud83d\udc67 trip, "#
                + #"cafe\u0301 \ud83c\uddeb\ud83c\uddf7"}"#
        )
        #expect(family.userContentContains("\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467} trip"))
        #expect(!family.userContentContains("\u{1F469}"))  // One person of the family emoji.
        #expect(!family.userContentContains("\u{1F1EB}"))  // Half of the French flag.
        #expect(!family.userContentContains("cafe"))  // The "e" of a decomposed "é".
        #expect(family.userContentContains("caf\u{E9}"))
    }

    // MARK: Search text

    @Test("search text holds the human text of any item, never member names")
    func searchText() throws {
        let call = try Self.facts(
            #"{"type":"function_call","name":"get_weather","arguments":"{\"city\":\"Paris\"}","call_id":"call_123"}"#
        )
        #expect(call.searchText == "get_weather\n{\"city\":\"Paris\"}")

        let output = try Self.facts(#"{"type":"function_call_output","call_id":"call_123","output":"Sunny, 25C"}"#)
        #expect(output.searchText == "Sunny, 25C")

        let partsOutput = try Self.facts(
            #"{"type":"function_call_output","call_id":"c","output":[{"type":"input_text","text":"part one"}]}"#
        )
        #expect(partsOutput.searchText == "part one")

        let reasoning = try Self.facts(
            #"{"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"Think"},"#
                + #"{"type":"summary_text","text":"again"}],"encrypted_content":"gAAAA"}"#
        )
        #expect(reasoning.searchText == "Think\nagain")

        let message = try Self.facts(
            #"{"type":"message","role":"assistant","id":"msg_1","status":"completed","content":"#
                + #"[{"type":"output_text","text":"Hi there","annotations":[]},{"type":"refusal","refusal":"No."}]}"#
        )
        #expect(message.searchText == "Hi there\nNo.")

        let mcp = try Self.facts(
            #"{"type":"mcp_call","server_label":"docs","name":"search","arguments":"{\"q\":1}","#
                + #""output":"found","error":"none"}"#
        )
        #expect(mcp.searchText == "docs.search\n{\"q\":1}\nfound\nnone")

        let web = try Self.facts(#"{"type":"web_search_call","id":"ws_1","action":{"type":"search","query":"swift"}}"#)
        #expect(web.searchText == "web_search_call\nswift")

        let shell = try Self.facts(#"{"type":"shell_call","action":{"commands":["ls -la","pwd"],"timeout_ms":1}}"#)
        #expect(shell.searchText == "shell_call\nls -la\npwd")

        let files = try Self.facts(#"{"type":"file_search_call","queries":["refund policy"],"results":null}"#)
        #expect(files.searchText == "file_search_call\nrefund policy")

        let code = try Self.facts(#"{"type":"code_interpreter_call","code":"print(42)","outputs":[]}"#)
        #expect(code.searchText == "code_interpreter_call\nprint(42)")

        let custom = try Self.facts(#"{"type":"custom_tool_call","name":"sql","input":"SELECT 1"}"#)
        #expect(custom.searchText == "sql\nSELECT 1")

        let user = try Self.facts(#"{"role":"user","content":"plain question"}"#)
        #expect(user.searchText == "plain question")

        let empty = try Self.facts(#"{"type":"computer_call_output","call_id":"c","output":{"type":"x"}}"#)
        #expect(empty.searchText == "")
    }

    @Test("a repeated member counts once, with its last value")
    func repeatedMembers() throws {
        let facts = try Self.facts(
            #"{"role":"user","content":"first","content":[{"type":"input_text","text":"second"}],"#
                + #""output":"old","output":"new"}"#
        )
        #expect(facts.findTexts == ["second"])
        #expect(facts.searchText == "second\nnew")
        #expect(facts.turnContent == #"[{"type": "input_text", "text": "second"}]"#)
    }
}
