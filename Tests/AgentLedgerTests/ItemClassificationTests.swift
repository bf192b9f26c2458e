import Testing

@testable import AgentLedger

@Suite("Item classification")
struct ItemClassificationTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var json: String
        var itemType: String
        var toolName: String?
        var isToolCall = false
        var isUser = false
        var isToolSearchOutput = false

        var testDescription: String { json }
    }

    static let cases: [Case] = [
        // Messages: role first, then type, then "other".
        Case(json: #"{"role":"user","content":"hi"}"#, itemType: "user", isUser: true),
        Case(json: #"{"type":"message","role":"user","content":[]}"#, itemType: "user", isUser: true),
        Case(json: #"{"type":"message","role":"assistant","content":[]}"#, itemType: "assistant"),
        Case(json: #"{"role":"assistant","content":"hello"}"#, itemType: "assistant"),
        Case(json: #"{"role":"system","content":"be brief"}"#, itemType: "other"),
        Case(json: #"{"role":"developer","content":"be brief","type":"message"}"#, itemType: "message"),
        Case(json: #"{"role":"User","content":"case matters"}"#, itemType: "other"),
        Case(json: #"{"role":1,"content":"not a string role"}"#, itemType: "other"),
        Case(json: #"{"type":"","content":"empty type"}"#, itemType: "other"),
        Case(json: #"{"type":7}"#, itemType: "other"),
        Case(json: #"{}"#, itemType: "other"),
        Case(json: #"{"unknown_field":{"role":"user"}}"#, itemType: "other"),
        // Role wins over type: an assistant-role function call is not counted as a call.
        Case(
            json: #"{"role":"assistant","type":"function_call","name":"f"}"#,
            itemType: "assistant",
            toolName: "f"
        ),
        // Function tools: the name, qualified by a namespace different from it.
        Case(
            json: #"{"type":"function_call","name":"get_weather","arguments":"{}","call_id":"c1"}"#,
            itemType: "function_call",
            toolName: "get_weather",
            isToolCall: true
        ),
        Case(
            json: #"{"type":"function_call","name":"get","namespace":"weather","arguments":"{}"}"#,
            itemType: "function_call",
            toolName: "weather.get",
            isToolCall: true
        ),
        Case(
            json: #"{"type":"function_call","name":"lookup","namespace":"lookup","arguments":"{}"}"#,
            itemType: "function_call",
            toolName: "lookup",
            isToolCall: true
        ),
        Case(
            json: #"{"type":"function_call","name":"lookup","namespace":"","arguments":"{}"}"#,
            itemType: "function_call",
            toolName: "lookup",
            isToolCall: true
        ),
        Case(
            json: #"{"type":"function_call","name":"lookup","namespace":null,"arguments":"{}"}"#,
            itemType: "function_call",
            toolName: "lookup",
            isToolCall: true
        ),
        Case(
            json: #"{"type":"function_call","name":"","namespace":"ns","arguments":"{}"}"#,
            itemType: "function_call",
            toolName: "",
            isToolCall: true
        ),
        Case(
            json: #"{"type":"function_call","name":null,"arguments":"{}"}"#,
            itemType: "function_call",
            isToolCall: true
        ),
        Case(
            json: #"{"type":"function_call_output","call_id":"c1","output":"sunny"}"#,
            itemType: "function_call_output"
        ),
        Case(
            json: #"{"type":"custom_tool_call","name":"grammar_tool","input":"x","call_id":"c2"}"#,
            itemType: "custom_tool_call",
            toolName: "grammar_tool",
            isToolCall: true
        ),
        Case(
            json: #"{"type":"custom_tool_call_output","call_id":"c2","output":"y"}"#,
            itemType: "custom_tool_call_output"
        ),
        // Hosted tools: the type itself.
        Case(
            json: #"{"type":"computer_call","action":{"type":"click","x":1,"y":2},"call_id":"c3"}"#,
            itemType: "computer_call",
            toolName: "computer_call",
            isToolCall: true
        ),
        Case(json: #"{"type":"computer_call_output","call_id":"c3","output":{}}"#, itemType: "computer_call_output"),
        Case(
            json: #"{"type":"file_search_call","queries":["q"],"status":"completed"}"#,
            itemType: "file_search_call",
            toolName: "file_search_call",
            isToolCall: true
        ),
        Case(
            json: #"{"type":"web_search_call","action":{"type":"search","query":"q"}}"#,
            itemType: "web_search_call",
            toolName: "web_search_call",
            isToolCall: true
        ),
        Case(
            json: #"{"type":"code_interpreter_call","code":"print(1)","container_id":"x"}"#,
            itemType: "code_interpreter_call",
            toolName: "code_interpreter_call",
            isToolCall: true
        ),
        Case(
            json: #"{"type":"shell_call","action":{"commands":["ls"]},"call_id":"c4"}"#,
            itemType: "shell_call",
            toolName: "shell_call",
            isToolCall: true
        ),
        Case(json: #"{"type":"shell_call_output","call_id":"c4","output":[]}"#, itemType: "shell_call_output"),
        Case(
            json:
                #"{"type":"apply_patch_call","operation":{"type":"update_file","path":"a","diff":"-"},"call_id":"c5"}"#,
            itemType: "apply_patch_call",
            toolName: "apply_patch_call",
            isToolCall: true
        ),
        Case(
            json: #"{"type":"apply_patch_call_output","call_id":"c5","output":"done"}"#,
            itemType: "apply_patch_call_output"
        ),
        // A hosted tool type wins over a name.
        Case(
            json: #"{"type":"web_search_call","name":"ignored"}"#,
            itemType: "web_search_call",
            toolName: "web_search_call",
            isToolCall: true
        ),
        // Tool search: "tool_search" for the call and its output; only the call is a call.
        Case(
            json: #"{"type":"tool_search_call","arguments":{}}"#,
            itemType: "tool_search_call",
            toolName: "tool_search",
            isToolCall: true
        ),
        Case(
            json: #"{"type":"tool_search_output","tools":[]}"#,
            itemType: "tool_search_output",
            toolName: "tool_search",
            isToolSearchOutput: true
        ),
        // MCP: server_label.name, or whichever part exists.
        Case(
            json: #"{"type":"mcp_call","server_label":"docs","name":"search","arguments":"{}"}"#,
            itemType: "mcp_call",
            toolName: "docs.search",
            isToolCall: true
        ),
        Case(
            json: #"{"type":"mcp_call","server_label":"docs","arguments":"{}"}"#,
            itemType: "mcp_call",
            toolName: "docs",
            isToolCall: true
        ),
        Case(
            json: #"{"type":"mcp_call","server_label":"","name":"search"}"#,
            itemType: "mcp_call",
            toolName: "search",
            isToolCall: true
        ),
        // A present but empty label keeps the MCP rule: the bare name, never namespace-qualified.
        Case(
            json: #"{"type":"mcp_call","server_label":null,"name":"search","namespace":"ns"}"#,
            itemType: "mcp_call",
            toolName: "search",
            isToolCall: true
        ),
        // No label at all: the generic name rule applies.
        Case(
            json: #"{"type":"mcp_call","name":"search","namespace":"ns"}"#,
            itemType: "mcp_call",
            toolName: "ns.search",
            isToolCall: true
        ),
        Case(
            json: #"{"type":"mcp_call","server_label":"","name":""}"#,
            itemType: "mcp_call",
            isToolCall: true
        ),
        Case(
            json: #"{"type":"mcp_approval_request","server_label":"fs","name":"delete","arguments":"{}"}"#,
            itemType: "mcp_approval_request",
            toolName: "fs.delete",
            isToolCall: true
        ),
        Case(
            json: #"{"type":"mcp_approval_response","approval_request_id":"a1","approve":true}"#,
            itemType: "mcp_approval_response"
        ),
        Case(json: #"{"type":"mcp_list_tools","server_label":"docs","tools":[]}"#, itemType: "mcp_list_tools"),
        // Others.
        Case(json: #"{"type":"reasoning","summary":[{"type":"summary_text","text":"t"}]}"#, itemType: "reasoning"),
        Case(json: #"{"type":"image_generation_call","result":"..."}"#, itemType: "image_generation_call"),
        // SEMANTICS.md's list of calls does not include a bare "tool_call" type.
        Case(json: #"{"type":"tool_call","name":"legacy"}"#, itemType: "tool_call", toolName: "legacy"),
        // Python's json.loads keeps the last of repeated names; escaped names are the same names.
        Case(json: #"{"role":"assistant","role":"user"}"#, itemType: "user", isUser: true),
        Case(json: #"{"role":"user","role":null,"type":"message"}"#, itemType: "message"),
        Case(json: #"{"\u0072ole":"\u0075ser","content":"escaped"}"#, itemType: "user", isUser: true),
        Case(
            json: #"{"type":"function_call","n\u0061me":"f","name\u0000":"not the name"}"#,
            itemType: "function_call",
            toolName: "f",
            isToolCall: true
        ),
    ]

    @Test("type, tool name and call flags follow SEMANTICS.md", arguments: cases)
    func classify(_ expected: Case) throws {
        let facts = try SessionItem(json: expected.json).facts
        #expect(facts.itemType == expected.itemType)
        #expect(facts.toolName == expected.toolName)
        #expect(facts.isToolCall == expected.isToolCall)
        #expect(facts.isUser == expected.isUser)
        #expect(facts.isToolSearchOutput == expected.isToolSearchOutput)
        #expect((facts.turnContent != nil) == expected.isUser)
        #expect((facts.findText != nil) == expected.isUser)
    }

    @Test("every tool call type of SEMANTICS.md is counted")
    func toolCallTypes() throws {
        let types = [
            "function_call", "computer_call", "file_search_call", "web_search_call", "code_interpreter_call",
            "tool_search_call", "custom_tool_call", "mcp_call", "mcp_approval_request", "shell_call",
            "apply_patch_call",
        ]
        #expect(ItemFacts.toolCallTypes == Set(types))
        for type in types {
            #expect(try SessionItem(json: #"{"type":"\#(type)"}"#).facts.isToolCall, "\(type)")
        }
    }

    @Test("classify(bytes:) gives the facts the item holds, also from a buffer slice")
    func classifyBytes() throws {
        for expected in Self.cases {
            let bytes = Array(expected.json.utf8)
            let item = try SessionItem(jsonBytes: bytes)
            #expect(try SessionItem.classify(bytes: bytes) == item.facts)
            let framed: [UInt8] = [0xFF, 0x00] + bytes + [0xFF]
            let facts = try framed.withUnsafeBytes { buffer in
                try SessionItem.classify(bytes: UnsafeRawBufferPointer(rebasing: buffer[2..<(2 + bytes.count)]))
            }
            #expect(facts == item.facts)
            let replayed = SessionItem(validatedBytes: bytes, facts: facts)
            #expect(replayed == item)
            #expect(replayed.facts == item.facts)
        }
    }

    @Test("a scan without texts classifies like the full scan, validates as much, and texts come on demand")
    func classificationWithoutTexts() throws {
        let extra = [
            #"{"role":"user","content":[{"type":"input_text","text":"a \"quoted\" part"},"plain"]}"#,
            #"{"type":"function_call_output","call_id":"c","output":[{"type":"text","text":"out"}]}"#,
            #"{"type":"reasoning","summary":[{"text":"thinking"}],"content":null}"#,
        ]
        for json in Self.cases.map(\.json) + extra {
            let bytes = Array(json.utf8)
            let full = try SessionItem.classify(bytes: bytes)
            let quick = try SessionItem.classify(bytes: bytes, includingTexts: false)
            #expect(full.includesTexts && !quick.includesTexts)
            #expect(quick.isUser == full.isUser && quick.itemType == full.itemType, "\(json)")
            #expect(quick.toolName == full.toolName && quick.isToolCall == full.isToolCall, "\(json)")
            #expect(quick.isToolSearchOutput == full.isToolSearchOutput, "\(json)")
            #expect(quick.searchText.isEmpty && quick.findTexts.isEmpty && quick.turnContent == nil)
            // An item that holds only its classification derives the texts when asked.
            let replayed = SessionItem(validatedBytes: bytes, facts: quick)
            #expect(replayed.facts == full)
            #expect(replayed.classification == quick)
        }
        // Skipping the text members still validates them.
        for bad in [#"{"content":"\x"}"#, #"{"arguments":"\u12"}"#, #"{"output":[1,]}"#, "{\"input\":\"\u{1}\"}"] {
            #expect(throws: LedgerError.self, "\(bad)") {
                try SessionItem.classify(bytes: Array(bad.utf8), includingTexts: false)
            }
        }
    }
}
