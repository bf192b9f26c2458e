import AgentLedger
import AgentLedgerTestSupport
import Testing

@Suite("Import into sessions that already exist")
struct ImportExistingSessionTests {
    @Test("importing the same export twice is refused before anything is written, unless appending")
    func sameExportTwice() async throws {
        let (source, target) = (try TemporaryStore(), try TemporaryStore())
        defer { TransferTests.remove(source, target) }
        let ledger = try await source.open()
        try await ledger.session("a").addItems([ItemFactory.user("q"), ItemFactory.assistant("r")])
        try await ledger.session("b").addItems([ItemFactory.user("other")])
        let events = try await TransferTests.events(of: ledger)
        try await ledger.close()

        let copy = try await target.open()
        #expect(try await copy.importEvents(events).items == 3)
        let logged = try await TransferTests.events(of: copy).count
        let error = try await #require(throws: LedgerError.self) { try await copy.importEvents(events) }
        #expect(error.code == .conflict)
        #expect(error.message.contains("session 'a' already exists"), "\(error.message)")
        #expect(error.message.contains("nothing was imported"), "\(error.message)")
        // A new session beside one that exists: refused as a whole, the new one not written.
        let fresh = LedgerEvent(
            sequence: 1,
            timestampMicros: 0,
            sessionID: "c",
            branch: "main",
            payload: .itemsAdded([ItemFactory.user("new")])
        )
        let mixed = [fresh] + events.filter { $0.sessionID == "b" }
        let mixedError = try await #require(throws: LedgerError.self) { try await copy.importEvents(mixed) }
        #expect(mixedError.message.contains("session 'b' already exists"), "\(mixedError.message)")
        #expect(try await TransferTests.events(of: copy).count == logged)
        #expect(try await copy.session("a").items().count == 2)
        #expect(try await copy.session("c").items().isEmpty)

        // On purpose: the events are replayed after what the sessions hold.
        #expect(try await copy.importEvents(events, appending: true).items == 3)
        #expect(
            try await copy.session("a").items() == [
                ItemFactory.user("q"), ItemFactory.assistant("r"), ItemFactory.user("q"), ItemFactory.assistant("r"),
            ]
        )
        try await copy.close()
    }
}
