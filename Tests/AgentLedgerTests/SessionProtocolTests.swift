import AgentLedger
import AgentLedgerTestSupport
import Foundation
import Testing

/// Every line of the protocol section of SEMANTICS.md, through the Swift API.
@Suite("Session protocol")
struct SessionProtocolTests {
    @Test("items are returned oldest first; a limit returns the latest N in order")
    func itemsOrderAndLimit() async throws {
        try await withLedger { ledger in
            let session = ledger.session("s")
            let items = (1...5).map { ItemFactory.user("m\($0)") }
            try await session.addItems(items)
            #expect(try await session.items() == items)
            #expect(try await session.items(limit: 2) == Array(items[3...]))
            #expect(try await session.items(limit: 50) == items)
            #expect(try await session.items(limit: 0) == [])
        }
    }

    @Test("a negative limit is an invalid argument")
    func negativeLimit() async throws {
        try await withLedger { ledger in
            let session = ledger.session("s")
            try await session.addItems([ItemFactory.user("a")])
            let error = try await #require(throws: LedgerError.self) { try await session.items(limit: -1) }
            #expect(error.code == .invalidArgument)
        }
    }

    @Test("a negative default limit is an invalid argument that names SessionSettings, not the call's limit")
    func negativeDefaultLimit() async throws {
        try await withLedger { ledger in
            let session = ledger.session("s", settings: SessionSettings(limit: -3))
            try await session.addItems([ItemFactory.user("a")])
            let error = try await #require(throws: LedgerError.self) { try await session.items() }
            #expect(error.code == .invalidArgument)
            #expect(error.message.contains("SessionSettings.limit"), "\(error)")
            // A limit given in the call wins over the default, as for any other default.
            #expect(try await session.items(limit: 1) == [ItemFactory.user("a")])
        }
    }

    @Test("the session's default limit applies when the call passes nil; a per-call limit wins")
    func defaultLimit() async throws {
        try await withLedger { ledger in
            let session = ledger.session("s", settings: SessionSettings(limit: 2))
            let items = (1...4).map { ItemFactory.user("m\($0)") }
            try await session.addItems(items)
            #expect(try await session.items() == Array(items[2...]))
            #expect(try await session.items(limit: 3) == Array(items[1...]))
        }
    }

    @Test("an unknown or empty session returns no items, not an error")
    func unknownSession() async throws {
        try await withLedger { ledger in
            let items = try await ledger.session("nobody").items()
            let popped = try await ledger.session("nobody").popItem()
            #expect(items == [] && popped == nil)
        }
    }

    @Test("one invalid item rejects the whole call, naming its index; nothing is appended")
    func atomicAdd() async throws {
        try await withLedger(LedgerOptions(durability: .none, maxItemBytes: 64)) { ledger in
            let session = ledger.session("s")
            let big = ItemFactory.user(String(repeating: "x", count: 100))
            let error = try await #require(throws: LedgerError.self) {
                try await session.addItems([ItemFactory.user("ok"), big])
            }
            #expect(error.code == .invalidItem)
            #expect(error.message.contains("item 1"))
            #expect(try await session.items() == [])
            #expect(try await ledger.headSequence() == 0)
        }
    }

    @Test("items that are not JSON objects are refused when made")
    func invalidJSON() throws {
        for text in ["", "[1]", "\"x\"", "{\"a\":", "{} {}", "null"] {
            #expect(throws: LedgerError.self) { try SessionItem(json: text) }
        }
    }

    @Test("adding no items is a no-op that writes no event")
    func emptyAdd() async throws {
        try await withLedger { ledger in
            try await ledger.session("s").addItems([])
            #expect(try await ledger.headSequence() == 0)
            #expect(try await ledger.sessions().isEmpty)
        }
    }

    @Test("pop returns the newest item and removes it; nil when empty")
    func pop() async throws {
        try await withLedger { ledger in
            let session = ledger.session("s")
            let items = [ItemFactory.user("a"), ItemFactory.assistant("b")]
            try await session.addItems(items)
            #expect(try await session.popItem() == items[1])
            #expect(try await session.items() == [items[0]])
            #expect(try await session.popItem() == items[0])
            #expect(try await session.popItem() == nil)
        }
    }

    @Test("concurrent pops never return the same item")
    func concurrentPops() async throws {
        try await withLedger { ledger in
            let session = ledger.session("s")
            let items = (0..<50).map { ItemFactory.user("m\($0)") }
            try await session.addItems(items)
            let popped = try await withThrowingTaskGroup(of: SessionItem?.self) { group in
                for _ in 0..<60 {
                    group.addTask { try await session.popItem() }
                }
                var all: [SessionItem] = []
                for try await item in group {
                    if let item {
                        all.append(item)
                    }
                }
                return all
            }
            #expect(popped.count == 50)
            #expect(Set(popped) == Set(items))
        }
    }

    @Test("clear removes every item of one session only")
    func clear() async throws {
        try await withLedger { ledger in
            let first = ledger.session("a")
            let second = ledger.session("b")
            try await first.addItems([ItemFactory.user("1")])
            try await second.addItems([ItemFactory.user("2")])
            try await first.clearSession()
            #expect(try await first.items() == [])
            #expect(try await second.items() == [ItemFactory.user("2")])
            try await first.addItems([ItemFactory.user("3")])
            #expect(try await first.items() == [ItemFactory.user("3")])
        }
    }

    @Test("items added in one call keep their order, and separate calls keep theirs")
    func ordering() async throws {
        try await withLedger { ledger in
            let session = ledger.session("s")
            var expected: [SessionItem] = []
            for round in 0..<20 {
                let batch = (0..<3).map { ItemFactory.user("r\(round) i\($0)") }
                try await session.addItems(batch)
                expected += batch
            }
            #expect(try await session.items() == expected)
        }
    }

    @Test(
        "item JSON round-trips byte for byte",
        arguments: [
            #"{"role":"user","content":"héllo wörld ✓ 🚀 \u00e9"}"#,
            #"{"role":"user","content":"quote \" backslash \\ slash \/ tab \t nul \u0000"}"#,
            #"{"role":"user","content":"'; DROP TABLE item; --"}"#,
            #"{"type":"function_call","name":"f","arguments":"{\"a\":[1,2,{\"b\":null}]}","call_id":"c1"}"#,
            #"{"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"why"}],"x-unknown":{"deep":[true,false,1.5e300]}}"#,
            "{ \"spaced\" :  1 ,\n \"order\": [ ] , \"a\":0 }",
        ]
    )
    func roundTrip(json: String) async throws {
        try await withLedger { ledger in
            let session = ledger.session("s")
            try await session.addItems([try SessionItem(json: json)])
            let stored = try #require(try await session.items().first)
            #expect(stored.json == json)
            #expect(stored.jsonBytes == Array(json.utf8))
        }
    }

    @Test("after close, every operation throws closed, including an empty add")
    func closed() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let ledger = try await store.open()
        let session = ledger.session("s")
        try await ledger.close()
        for operation in [
            { _ = try await session.items() },
            { try await session.addItems([]) },
            { try await session.addItems([ItemFactory.user("x")]) },
            { _ = try await session.popItem() },
            { try await session.clearSession() },
        ] as [@Sendable () async throws -> Void] {
            let error = try await #require(throws: LedgerError.self) { try await operation() }
            #expect(error.code == .closed)
        }
        try await ledger.close()
    }

    @Test("the state survives reopening the store")
    func reopen() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let items = (0..<10).map { ItemFactory.user("m\($0)") }
        do {
            let ledger = try await store.open(durability: .fsync)
            try await ledger.session("s").addItems(items)
            _ = try await ledger.session("s").popItem()
            try await ledger.close()
        }
        let ledger = try await store.open()
        #expect(try await ledger.session("s").items() == Array(items.dropLast()))
        #expect(try await ledger.headSequence() == 2)
        try await ledger.close()
    }

    @Test("a cancelled caller does not undo an accepted write")
    func cancellation() async throws {
        try await withLedger { ledger in
            let session = ledger.session("s")
            let batch = (0..<3).map { ItemFactory.user("kept \($0)") }
            let task = Task {
                try await session.addItems(batch)
            }
            task.cancel()
            try await task.value
            // The ledger does not abandon a submitted write on cancellation: it lands whole.
            #expect(try await session.items() == batch)
        }
    }

    @Test("empty, oversized and NUL-holding session ids are refused; control characters and SQL are literal")
    func sessionIDs() async throws {
        try await withLedger { ledger in
            for id in ["", String(repeating: "x", count: 1025), "nul\u{0}inside"] {
                let error = try await #require(throws: LedgerError.self) {
                    try await ledger.session(id).addItems([ItemFactory.user("x")])
                }
                #expect(error.code == .invalidArgument)
            }
            let odd = "line\nbreak\u{1}\t'; DROP TABLE session; --"
            try await ledger.session(odd).addItems([ItemFactory.user("x")])
            #expect(try await ledger.session(odd).items().count == 1)
            #expect(try await ledger.sessions().map(\.sessionID) == [odd])
        }
    }
}

/// Opens a temporary store, runs `body`, closes and removes it.
func withLedger(
    _ options: LedgerOptions = LedgerOptions(durability: .none),
    _ body: (Ledger) async throws -> Void
) async throws {
    let store = try TemporaryStore()
    defer { store.remove() }
    let ledger = try await Ledger.open(at: store.path, options: options)
    do {
        try await body(ledger)
    } catch {
        try? await ledger.close()
        throw error
    }
    try await ledger.close()
}
