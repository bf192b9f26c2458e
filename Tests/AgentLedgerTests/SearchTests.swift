import AgentLedgerTestSupport
import Testing

@testable import AgentLedger

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

    @Test(
        "a search's catch-up indexes the backlog in steps, each a writer task of its own, through the rows it found at its start"
    )
    func catchUpInSteps() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let ledger = try await store.open()
        let session = ledger.session("s")
        for batch in 0..<50 {
            try await session.addItems((0..<100).map { ItemFactory.user("word\(batch * 100 + $0)") })
        }
        let writer = try #require(ledger.writer)
        // Steps of 7 rows: a catch-up that stopped after its first step would leave most of the
        // backlog the idle steps had not reached yet.
        try await writer.catchUpSearchIndex(rowsPerStep: 7)
        let (indexed, last) = try await ledger.read { db in
            (
                try Int64.fetchOne(db, sql: "SELECT value FROM ledger_meta WHERE key = 'fts_indexed_through'"),
                try Int64.fetchOne(db, sql: "SELECT max(id) FROM item")
            )
        }
        #expect(indexed == last)
        // A write between two steps is indexed too, by the next search's catch-up.
        let adding = Task { try await session.addItems([ItemFactory.user("latecomer")]) }
        try await writer.catchUpSearchIndex(rowsPerStep: 7)
        try await adding.value
        for word in ["word0", "word4999", "latecomer"] {
            #expect(try await session.search(word).count == 1, "\(word)")
        }
        try await ledger.close()
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
            // A query that ends too soon is not told about the parenthesis that closes the
            // ledger's own wrapping of it, which the user never typed.
            for query in ["zebra NOT", "zebra AND", "zebra OR"] {
                let error = try await #require(throws: LedgerError.self) { try await session.search(query) }
                #expect(error.code == .invalidArgument)
                #expect(error.message.contains("at the end of the query"), "\(query): \(error)")
                #expect(!error.message.contains(#"near ")""#), "\(query): \(error)")
            }
        }
    }

    @Test("an empty or blank query is refused as empty, not passed to FTS5", arguments: ["", " ", "\t\n "])
    func blankQuery(query: String) async throws {
        try await withLedger { ledger in
            let session = ledger.session("s")
            try await session.addItems([ItemFactory.user("zebra")])
            for search in [{ try await session.search(query) }, { try await ledger.search(query) }] {
                let error = try await #require(throws: LedgerError.self) { try await search() }
                #expect(error.code == .invalidArgument)
                #expect(error.message == "the search query is empty")
            }
        }
    }

    @Test("a session's search matches through its scope token, and a query cannot reach other sessions")
    func scopedSearch() async throws {
        try await withLedger { ledger in
            // Many sessions share the term: only the searched session's postings are matched.
            for index in 0..<20 {
                try await ledger.session("s\(index)").addItems([ItemFactory.user("common term \(index)")])
            }
            let mine = ledger.session("s7")
            #expect(try await mine.search("common").map(\.sessionID) == ["s7"])
            #expect(try await ledger.search("common").count == 20)
            // The scope column is never searched as text, even for a token that names a session.
            let otherToken = SearchIndexer.scopeToken("s8")
            #expect(try await ledger.search(otherToken).isEmpty)
            #expect(try await ledger.search("scope : \(otherToken)").isEmpty)
            // A query that closes the text filter early is refused, in a session or store-wide,
            // where it would otherwise match every item through its scope token.
            for query in ["common) OR (scope : \(otherToken)", "x) OR (s*", "(common", "common) (x"] {
                for search in [{ try await mine.search(query) }, { try await ledger.search(query) }] {
                    let error = try await #require(throws: LedgerError.self, "\(query)") { try await search() }
                    #expect(error.message.contains("parentheses do not pair up"), "\(query): \(error)")
                }
            }
            // Parentheses inside a quoted string are text, and paired ones group.
            #expect(try await mine.search("\"common)\"").map(\.sessionID) == ["s7"])
            #expect(try await ledger.search("(common AND (term OR nothing))").count == 20)
        }
    }

    @Test("scope tokens: one FTS5 token per session, stable across processes")
    func scopeTokens() {
        #expect(SearchIndexer.scopeToken("") == "scbf29ce484222325")
        #expect(SearchIndexer.scopeToken("a") == "saf63dc4c8601ec8c")
        #expect(SearchIndexer.scopeToken("café") != SearchIndexer.scopeToken("cafe\u{301}"))
        #expect(SearchIndexer.scopeToken("x").count == 17)
    }
}
