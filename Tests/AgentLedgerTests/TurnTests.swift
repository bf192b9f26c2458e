import AgentLedger
import AgentLedgerTestSupport
import Testing

/// The Turns section of SEMANTICS.md.
@Suite("Turns")
struct TurnTests {
    @Test("turn numbering inside one call that mixes user and other items; turn 0 before the first user item")
    func numbering() async throws {
        try await withLedger { ledger in
            let session = ledger.session("s")
            try await session.addItems([
                ItemFactory.item(["role": .string("system"), "content": .string("be brief")]),
                ItemFactory.user("one"),
                ItemFactory.assistant("a1"),
                ItemFactory.functionCall("get_weather"),
                ItemFactory.functionOutput("sunny"),
                ItemFactory.user("two"),
            ])
            try await session.addItems([ItemFactory.assistant("a2"), ItemFactory.user("three")])
            let byTurn = try await session.conversationByTurns()
            #expect(byTurn.map(\.turn) == [0, 1, 2, 3])
            #expect(byTurn[1].items.map(\.type) == ["user", "assistant", "function_call", "function_call_output"])
            #expect(byTurn[1].items.map(\.toolName) == [nil, nil, "get_weather", nil])
            #expect(byTurn[2].items.map(\.type) == ["user", "assistant"])
            let turns = try await session.conversationTurns()
            #expect(turns.map(\.turn) == [1, 2, 3])
            #expect(turns.map(\.content) == ["one", "two", "three"])
        }
    }

    @Test("previews cut the content to 100 characters plus ...")
    func previews() async throws {
        try await withLedger { ledger in
            let session = ledger.session("s")
            let long = String(repeating: "é", count: 150)
            let exact = String(repeating: "x", count: 100)
            try await session.addItems([ItemFactory.user(long), ItemFactory.user(exact)])
            let turns = try await session.conversationTurns()
            #expect(turns[0].preview == String(repeating: "é", count: 100) + "...")
            #expect(turns[0].content == long)
            #expect(turns[1].preview == exact)
        }
    }

    @Test("previews of list and null content are the SDK's: JSON without ensure_ascii, null as \"null\"")
    func sdkPreviews() async throws {
        try await withLedger { ledger in
            let session = ledger.session("s")
            let text = "été " + String(repeating: "ü", count: 80)
            try await session.addItems([
                SessionItem(json: #"{"role":"user","content":[{"type":"input_text","text":""# + text + #""}]}"#),
                SessionItem(json: #"{"role":"user","content":null}"#),
            ])
            let turns = try await session.conversationTurns()
            let unescaped = #"[{"type": "input_text", "text": ""# + text + #""}]"#
            #expect(turns[0].preview == String(unescaped.unicodeScalars.prefix(100)) + "...")
            // The full content stays Python's default json.dumps (ensure_ascii), as documented.
            let escaped = #"\u00e9t\u00e9 "# + String(repeating: #"\u00fc"#, count: 80)
            #expect(turns[0].content == #"[{"type": "input_text", "text": ""# + escaped + #""}]"#)
            #expect(turns[1].preview == "null")
            #expect(turns[1].content == "")
        }
    }

    @Test(
        "findTurns matches literal, case-insensitive substrings of content, never JSON keys",
        arguments: [
            ("100%", [1]), ("a_b", [2]), ("it's", [3]), ("back\\slash", [4]), ("\"quoted\"", [5]),
            ("CONTENT", [6]), ("role", []), ("%", [1]), ("_", [2]),
        ] as [(String, [Int])]
    )
    func find(term: String, expected: [Int]) async throws {
        try await withLedger { ledger in
            let session = ledger.session("s")
            try await session.addItems([
                ItemFactory.user("100% sure"),
                ItemFactory.user("a_b"),
                ItemFactory.user("it's"),
                ItemFactory.user("back\\slash"),
                ItemFactory.user("say \"quoted\""),
                ItemFactory.item([
                    "role": .string("user"),
                    "content": .array([.object(["type": .string("input_text"), "text": .string("list content")])]),
                ]),
            ])
            #expect(try await session.findTurns(containing: term).map(\.turn) == expected)
        }
    }

    @Test("tool names for every listed item type")
    func toolNames() async throws {
        let cases: [(SessionItem, String?)] = [
            (
                ItemFactory.item(["type": .string("mcp_call"), "server_label": .string("srv"), "name": .string("q")]),
                "srv.q"
            ),
            (ItemFactory.item(["type": .string("mcp_approval_request"), "name": .string("q")]), "q"),
            (ItemFactory.item(["type": .string("mcp_call"), "server_label": .string("srv")]), "srv"),
            (ItemFactory.item(["type": .string("computer_call")]), "computer_call"),
            (ItemFactory.item(["type": .string("file_search_call")]), "file_search_call"),
            (ItemFactory.item(["type": .string("web_search_call")]), "web_search_call"),
            (ItemFactory.item(["type": .string("code_interpreter_call")]), "code_interpreter_call"),
            (ItemFactory.item(["type": .string("shell_call")]), "shell_call"),
            (ItemFactory.item(["type": .string("apply_patch_call")]), "apply_patch_call"),
            (ItemFactory.item(["type": .string("tool_search_call")]), "tool_search"),
            (ItemFactory.item(["type": .string("tool_search_output")]), "tool_search"),
            (ItemFactory.functionCall("f"), "f"),
            (
                ItemFactory.item(["type": .string("function_call"), "name": .string("f"), "namespace": .string("ns")]),
                "ns.f"
            ),
            (
                ItemFactory.item(["type": .string("function_call"), "name": .string("f"), "namespace": .string("f")]),
                "f"
            ),
            (ItemFactory.item(["type": .string("custom_tool_call"), "name": .string("c")]), "c"),
            (ItemFactory.functionOutput("x"), nil),
        ]
        try await withLedger { ledger in
            let session = ledger.session("s")
            try await session.addItems([ItemFactory.user("go")] + cases.map(\.0))
            let items = try #require(try await session.conversationByTurns().first?.items)
            #expect(items.dropFirst().map(\.toolName) == cases.map(\.1))
        }
    }

    /// `AdvancedSQLiteSession._extract_tool_name` of these items, from openai-agents 0.24.0.
    static let sdkToolNames: [(item: String, toolName: String?)] = [
        (#"{"type":"function_call"}"#, nil),
        (#"{"type":"function_call","name":null}"#, nil),
        (#"{"type":"mcp_call"}"#, nil),
        (#"{"type":"mcp_call","server_label":null,"name":null}"#, nil),
        (#"{"type":"mcp_call","server_label":"","name":""}"#, nil),
        (#"{"type":"function_call","name":7}"#, "7"),
        (#"{"type":"function_call","name":"f","namespace":5}"#, "5.f"),
        (#"{"type":"function_call","name":true,"namespace":false}"#, "False.True"),
        (#"{"type":"function_call","name":1.5e300,"namespace":1e400}"#, "inf.1.5e+300"),
        (#"{"type":"function_call","name":"","namespace":"ns"}"#, ""),
        (
            #"{"type":"function_call","name":["a","it's",null,{"k":"\u00e9\u2028\u0007"}]}"#,
            #"['a', "it's", None, {'k': 'é\u2028\x07'}]"#
        ),
        (#"{"type":"mcp_call","server_label":0,"name":"q"}"#, "q"),
        (#"{"type":"mcp_call","server_label":7,"name":[]}"#, "7"),
        (#"{"type":"mcp_call","server_label":{"a":1},"name":2.0}"#, "{'a': 1}.2.0"),
        (#"{"type":"custom_tool_call","name":{"x":[1,2]},"namespace":"n"}"#, "n.{'x': [1, 2]}"),
        (#"{"type":"mcp_approval_request","server_label":false,"name":"\"q\""}"#, #""q""#),
    ]

    @Test("tool names take str() of non-string members and Python's truthiness, as the SDK does")
    func sdkToolNameCoercion() async throws {
        try await withLedger { ledger in
            let session = ledger.session("s")
            let items = try Self.sdkToolNames.map { try SessionItem(json: $0.item) }
            try await session.addItems([ItemFactory.user("go")] + items)
            let named = try #require(try await session.conversationByTurns().first?.items)
            #expect(named.dropFirst().map(\.toolName) == Self.sdkToolNames.map(\.toolName))
        }
    }

    @Test("tool usage counts calls without a tool name together, under nil (the SDK's None)")
    func namelessToolUsage() async throws {
        try await withLedger { ledger in
            let session = ledger.session("s")
            try await session.addItems([
                ItemFactory.user("t1"),
                try SessionItem(json: #"{"type":"function_call","arguments":"{}","call_id":"c1"}"#),
                ItemFactory.functionCall("g"),
                try SessionItem(json: #"{"type":"function_call","name":null}"#),
                try SessionItem(json: #"{"type":"mcp_call"}"#),
                try SessionItem(json: #"{"type":"mcp_call","server_label":"","name":null}"#),
                try SessionItem(json: #"{"type":"function_call_output","call_id":"c1","output":"x"}"#),
                ItemFactory.user("t2"),
                try SessionItem(json: #"{"type":"custom_tool_call","input":"x"}"#),
            ])
            let usage = try await session.toolUsage()
            #expect(
                usage == [
                    ToolUse(toolName: nil, callCount: 4, turn: 1),
                    ToolUse(toolName: "g", callCount: 1, turn: 1),
                    ToolUse(toolName: nil, callCount: 1, turn: 2),
                ]
            )
        }
    }

    @Test("tool usage counts calls, not outputs; tool_search_output only without a tool_search_call")
    func toolUsage() async throws {
        try await withLedger { ledger in
            let session = ledger.session("s")
            try await session.addItems([
                ItemFactory.user("t1"),
                ItemFactory.functionCall("get_weather"),
                ItemFactory.functionOutput("sunny"),
                ItemFactory.functionCall("get_weather", callID: "c2"),
                ItemFactory.item(["type": .string("tool_search_call")]),
                ItemFactory.item(["type": .string("tool_search_output")]),
                ItemFactory.user("t2"),
                ItemFactory.item(["type": .string("tool_search_output")]),
                ItemFactory.item(["type": .string("web_search_call")]),
            ])
            let usage = try await session.toolUsage()
            #expect(
                usage == [
                    ToolUse(toolName: "get_weather", callCount: 2, turn: 1),
                    ToolUse(toolName: "tool_search", callCount: 1, turn: 1),
                    ToolUse(toolName: "tool_search", callCount: 1, turn: 2),
                    ToolUse(toolName: "web_search_call", callCount: 1, turn: 2),
                ]
            )
        }
    }
}
