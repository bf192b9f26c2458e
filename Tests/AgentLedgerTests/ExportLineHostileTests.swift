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
}
