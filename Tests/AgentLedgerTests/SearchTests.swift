import AgentLedger
import AgentLedgerTestSupport
import Testing

@Suite("Full-text search")
struct SearchTests {
    @Test("search ranks matching items of a session, across branches or in one")
    func sessionSearch() async throws {
        try await withLedger { ledger in
            let session = ledger.session("s")
            try await session.addItems([
                ItemFactory.user("how is the weather in Paris"),
                ItemFactory.functionCall("get_weather", arguments: #"{"city":"Paris"}"#),
                ItemFactory.assistant("It is sunny in Paris, weather permitting"),
                ItemFactory.user("thanks"),
            ])
            try await ledger.session("other").addItems([ItemFactory.user("weather elsewhere")])
            // "get_weather" is tokenized as "get" and "weather", so the call matches too.
            let hits = try await session.search("weather")
            #expect(hits.count == 3)
            #expect(Set(hits.map(\.sessionID)) == ["s"])
            #expect(hits.allSatisfy { $0.turn == 1 && $0.branch == "main" })
            #expect(try await session.search("paris").count == 3)
            #expect(try await ledger.search("weather").count == 4)
            try await session.createBranch(fromTurn: 2, named: "b")
            #expect(try await session.search("thanks").count == 1)
            #expect(try await session.search("weather", branch: "b").count == 3)
            #expect(try await session.search("weather").count == 6)
        }
    }

    @Test("popped items are not found; FTS syntax errors are invalid arguments")
    func poppedAndSyntax() async throws {
        try await withLedger { ledger in
            let session = ledger.session("s")
            try await session.addItems([ItemFactory.user("unique-word zebra")])
            _ = try await session.popItem()
            #expect(try await session.search("zebra").isEmpty)
            for query in ["\"unbalanced", "AND", "(a OR"] {
                let error = try await #require(throws: LedgerError.self) { try await session.search(query) }
                #expect(error.code == .invalidArgument)
            }
        }
    }
}
