import AgentLedger
import AgentLedgerTestSupport
import Testing

@Suite("Export lines read back: hostile values and the deepest items")
struct ExportLineHostileTests {
    /// A line of `agentledger export` holding `members` after its envelope.
    static func line(_ kind: String, _ members: String) -> [UInt8] {
        let envelope = #"{"seq":2,"time":"2026-11-29T12:00:00Z","session":"s","branch":"main","kind":"\#(kind)","#
        return Array((envelope + members + "}").utf8)
    }

    /// The error a line is refused with.
    static func refusal(_ line: [UInt8]) throws -> LedgerError {
        try #require(throws: LedgerError.self) { try LedgerEvent(exportLine: line, lineNumber: 7) }
    }

    @Test("a negative item_seq is refused with its line, not a trap")
    func negativeItemSequence() throws {
        let error = try Self.refusal(
            Self.line("item_popped", #""item":{"role":"user","content":"y"},"item_seq":-1,"item_index":0"#)
        )
        #expect(error.code == .invalidArgument)
        #expect(error.message.hasPrefix("line 7: "), "\(error.message)")
        #expect(error.message.contains("\"item_seq\""), "\(error.message)")
    }

    @Test("items and usage details as deep as an add accepts come back from an export line")
    func deepestItems() throws {
        let depth = 512  // JSONParser.maxDepth: the deepest item an add accepts.
        let nested = String(repeating: "[", count: depth - 1) + String(repeating: "]", count: depth - 1)
        let item = try SessionItem(json: #"{"a":\#(nested)}"#)
        let details = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)

        let added = try LedgerEvent(exportLine: Self.line("items_added", #""items":[\#(item.json)]"#), lineNumber: 1)
        #expect(added.payload == .itemsAdded([item]))
        let popped = try LedgerEvent(
            exportLine: Self.line("item_popped", #""item":\#(item.json),"item_seq":1,"item_index":0"#),
            lineNumber: 2
        )
        #expect(popped.payload == .itemPopped(item: item, itemSequence: 1, itemIndex: 0))
        let usage = try LedgerEvent(
            exportLine: Self.line(
                "usage_recorded",
                #""turn":1,"usage":{"requests":1,"input_tokens":2,"output_tokens":3,"total_tokens":5,"details":\#(details)}"#
            ),
            lineNumber: 3
        )
        guard case .usageRecorded(_, let recorded) = usage.payload else {
            Issue.record("not a usage record: \(usage)")
            return
        }
        #expect(recorded.detailsJSON == details)

        // One level deeper is still refused, as an add refuses it.
        let tooDeep = "[" + nested + "]"
        let error = try Self.refusal(Self.line("items_added", #""items":[{"a":\#(tooDeep)}]"#))
        #expect(error.message.contains("nesting deeper than"), "\(error.message)")
    }

    @Test("items that are not an array, usage that is not an object, counts that are not integers: refused")
    func wrongShapes() throws {
        let refused = [
            Self.line("items_added", #""items":{"role":"user","content":"hi"}"#),
            Self.line("items_added", #""items":"[{\"role\":\"user\",\"content\":\"hi\"}]""#),
            Self.line("usage_recorded", #""turn":1,"usage":5"#),
            Self.line("branch_created", #""source_branch":"main","from_turn":9223372036854775807"#),
            Self.line("branch_created", #""source_branch":"main","from_turn":1.5"#),
        ]
        for line in refused {
            let error = #expect(throws: LedgerError.self, "\(String(decoding: line, as: UTF8.self))") {
                try LedgerEvent(exportLine: line, lineNumber: 7)
            }
            #expect(error?.code == .invalidArgument)
            #expect(error?.message.hasPrefix("line 7: ") == true, "\(String(describing: error))")
            #expect(error?.message.contains("missing") == false, "\(String(describing: error))")
        }
    }
}
