import AgentLedgerTestSupport
import Foundation
import Testing

@testable import AgentLedger

/// Hostile and bad input through the public API: each gets a clear error and leaves the store
/// exactly as it was (head, items, every byte of the log); ids and content holding control
/// characters or SQL are stored literally; a log written by a newer version is refused.
@Suite("Reliability: hostile and bad input", .timeLimit(.minutes(3)))
struct ReliabilityInputTests {
    /// One bad call and the error code it must get.
    private struct Case {
        let name: String
        let code: LedgerError.Code
        let call: (Ledger) async throws -> Void
    }

    private static let maxItemBytes = 1024
    /// The most item bytes of one add here (in production: what fits in one log frame, 1 GiB).
    private static let maxAddBytes = 4096
    /// The most items of one add here (in production: what a reader accepts in one event, 2^24).
    private static let maxItemsPerAdd = 6
    /// An item of about 1,000 bytes: four fit in one add, five do not.
    private static let quarterAdd = ItemFactory.user(String(repeating: "q", count: 970))

    private static func cases() -> [Case] {
        let user = ItemFactory.user("fine")
        let big = ItemFactory.user(String(repeating: "x", count: maxItemBytes))  // 1,024 + the JSON around it
        let longID = String(repeating: "s", count: 1025)
        let longBranch = String(repeating: "b", count: 257)
        var cases: [Case] = [
            Case(name: "an item over maxItemBytes, second of two", code: .invalidItem) {
                try await $0.session("base").addItems([user, big])
            },
            Case(name: "five items that together are more than one add can hold", code: .invalidArgument) {
                try await $0.session("base").addItems(Array(repeating: quarterAdd, count: 5))
            },
            Case(name: "more items than one event may hold", code: .invalidArgument) {
                try await $0.session("base").addItems(Array(repeating: user, count: maxItemsPerAdd + 1))
            },
            Case(name: "an empty session id (add)", code: .invalidArgument) {
                try await $0.session("").addItems([user])
            },
            Case(name: "an empty session id (items)", code: .invalidArgument) { _ = try await $0.session("").items() },
            Case(name: "an empty session id (pop)", code: .invalidArgument) { _ = try await $0.session("").popItem() },
            Case(name: "an empty session id (clear)", code: .invalidArgument) {
                try await $0.session("").clearSession()
            },
            Case(name: "a 1,025-byte session id", code: .invalidArgument) {
                try await $0.session(longID).addItems([user])
            },
            Case(name: "a 1,025-byte session id (items)", code: .invalidArgument) {
                _ = try await $0.session(longID).items()
            },
            Case(name: "a NUL in a session id (add)", code: .invalidArgument) {
                try await $0.session("ba\0se").addItems([user])
            },
            Case(name: "a NUL in a session id (items)", code: .invalidArgument) {
                _ = try await $0.session("base\0").items()
            },
            Case(name: "a NUL in a session id (pop)", code: .invalidArgument) {
                _ = try await $0.session("base\0x").popItem()
            },
            Case(name: "an empty branch name", code: .invalidArgument) {
                try await $0.session("base").createBranch(fromTurn: 1, named: "")
            },
            Case(name: "a blank branch name", code: .invalidArgument) {
                try await $0.session("base").createBranch(fromTurn: 1, named: " \t\n")
            },
            Case(name: "a 257-byte branch name", code: .invalidArgument) {
                try await $0.session("base").createBranch(fromTurn: 1, named: longBranch)
            },
            Case(name: "a NUL in a branch name", code: .invalidArgument) {
                try await $0.session("base").createBranch(fromTurn: 1, named: "ma\0in")
            },
            Case(name: "switching to an empty branch name", code: .invalidArgument) {
                try await $0.session("base").switchToBranch("")
            },
            Case(name: "switching to a NUL branch name", code: .invalidArgument) {
                try await $0.session("base").switchToBranch("main\0")
            },
            Case(name: "reading a NUL branch name", code: .invalidArgument) {
                _ = try await $0.session("base").items(branch: "main\0evil")
            },
            Case(name: "deleting a blank branch", code: .invalidArgument) {
                try await $0.session("base").deleteBranch("  ")
            },
            Case(name: "a negative limit", code: .invalidArgument) {
                _ = try await $0.session("base").items(limit: -1)
            },
            Case(name: "Int.min as limit", code: .invalidArgument) {
                _ = try await $0.session("base").items(limit: Int.min)
            },
            Case(name: "a NUL in a session id, with a limit of 0", code: .invalidArgument) {
                _ = try await $0.session("base\0").items(limit: 0)
            },
            Case(name: "an empty session id, with a limit of 0", code: .invalidArgument) {
                _ = try await $0.session("").items(limit: 0)
            },
            Case(name: "a blank branch name, with a limit of 0", code: .invalidArgument) {
                _ = try await $0.session("base").items(limit: 0, branch: " ")
            },
            Case(name: "a NaN date, with a limit of 0", code: .invalidArgument) {
                _ = try await $0.session("base").items(limit: 0, asOf: .date(Date(timeIntervalSince1970: .nan)))
            },
            Case(name: "a search limit of 0", code: .invalidArgument) {
                _ = try await $0.session("base").search("hello", limit: 0)
            },
            Case(name: "a negative store-wide search limit", code: .invalidArgument) {
                _ = try await $0.search("hello", limit: -3)
            },
        ]
        for query in [
            "\"unterminated", "(", "hello AND", "AND", "OR OR", "nosuchcolumn:hello", "NEAR(hello", "hello )",
        ] {
            cases.append(
                Case(name: "FTS syntax error \(query)", code: .invalidArgument) {
                    _ = try await $0.session("base").search(query)
                }
            )
            cases.append(
                Case(name: "store-wide FTS syntax error \(query)", code: .invalidArgument) {
                    _ = try await $0.search(query)
                }
            )
        }
        return cases
    }

    @Test("each bad call gets a clear error of the right code and changes nothing")
    func badCallsChangeNothing() async throws {
        let store = try TemporaryStore(prefix: "reliability-input")
        defer { store.remove() }
        let ledger = try await store.open {
            $0.maxItemBytes = Self.maxItemBytes
            $0.maxAddBytes = Self.maxAddBytes
            $0.maxItemsPerAdd = Self.maxItemsPerAdd
        }
        let base = ledger.session("base")
        try await base.addItems([
            ItemFactory.user("hello weather"), ItemFactory.assistant("sunny"), ItemFactory.user("thanks"),
        ])
        let before = try await ReliabilityStoreSnapshot.take(ledger, sessions: ["base", "fine", "s"])
        let cases = Self.cases()
        for bad in cases {
            let error = await ReliabilityHelpers.error { try await bad.call(ledger) }
            #expect(error?.code == bad.code, "\(bad.name): \(String(describing: error))")
            #expect((error?.message.count ?? 0) > 10, "\(bad.name): no message")
            let after = try await ReliabilityStoreSnapshot.take(ledger, sessions: ["base", "fine", "s"])
            #expect(after == before, "\(bad.name) changed the store")
        }
        // The limits themselves are accepted.
        let frame = #"{"role":"user","content":""}"#.utf8.count
        let exact = try SessionItem(
            json: #"{"role":"user","content":""# + String(repeating: "y", count: Self.maxItemBytes - frame) + #""}"#
        )
        #expect(exact.jsonBytes.count == Self.maxItemBytes)
        try await base.addItems([exact])
        #expect(4 * (Self.quarterAdd.jsonBytes.count + 10) <= Self.maxAddBytes)
        try await base.addItems(Array(repeating: Self.quarterAdd, count: 4))
        try await base.addItems(Array(repeating: ItemFactory.user("many"), count: Self.maxItemsPerAdd))
        try await ledger.session(String(repeating: "s", count: 1024)).addItems([ItemFactory.user("long id")])
        try await base.createBranch(fromTurn: 1, named: String(repeating: "b", count: 256))
        #expect(try await ledger.verifyReadModel() == [])
        try await ledger.close()
        print("RELIABILITY bad calls: \(cases.count) refused with a clear error, the store unchanged each time")
    }

    @Test("invalid JSON, JSON that is not an object, bad UTF-8 and hostile nesting are refused when the item is made")
    func invalidItems() throws {
        let texts = [
            "", "{", "}", "{\"a\":}", "{\"a\":1,}", "{'a':1}", "{\"a\":1}{}", "{\"a\":1} x", "nul", "{\"a\":\"\u{0}\"}",
            "{\"a\":\"\u{1}\"}", "{\"a\":01}", "{\"a\":NaN}", "{\"a\":\"\\x\"}", "{\"a\":\"\\ud800\"}", "[1,2]",
            "\"text\"",
            "42", "null", "true", " ", "{\"a\":1", "{\"a\" 1}",
        ]
        for text in texts {
            #expect(throws: LedgerError.self, "\(text.debugDescription) was accepted") { try SessionItem(json: text) }
            do {
                _ = try SessionItem(json: text)
            } catch let error as LedgerError {
                #expect(error.code == .invalidItem, "\(text.debugDescription): \(error)")
            } catch {
                Issue.record("\(text.debugDescription): \(error)")
            }
        }
        for bytes: [UInt8] in [
            [0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D], [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xC0, 0xAF, 0x22, 0x7D],
        ] {
            #expect(throws: LedgerError.self) { try SessionItem(jsonBytes: bytes) }
        }
        let deep = "{\"a\":" + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
        let error = #expect(throws: LedgerError.self) { try SessionItem(json: deep) }
        #expect(error?.code == .invalidItem)
        let notObject = #expect(throws: LedgerError.self) { try SessionItem(json: "[1,2]") }
        #expect(notObject?.message.contains("object") == true, "\(String(describing: notObject))")
    }

    @Test("control characters, SQL and look-alike unicode in ids, branch names and content are stored literally")
    func literalStorage() async throws {
        let store = try TemporaryStore(prefix: "reliability-literal")
        defer { store.remove() }
        let ledger = try await store.open()
        let ids = [
            "'; DROP TABLE item; --", "Robert'); DELETE FROM session;--\u{1}\u{7F}\t\n\r", "%_\\*", "🙂 émoji",
            "\" OR 1=1 --", "main",
        ]
        let content =
            #"{"role":"user","content":"'; DELETE FROM item; -- \u0000 \u0001 \n \t \" \\ %_ \ud83d\ude42","x":[null]}"#
        let item = try SessionItem(json: content)
        for id in ids {
            try await ledger.session(id).addItems([item, ItemFactory.user("second of \(id)")])
        }
        for id in ids {
            let items = try await ledger.session(id).items()
            #expect(items.count == 2 && items[0].jsonBytes == Array(content.utf8), "\(id.debugDescription)")
        }
        #expect(Set(try await ledger.sessions().map(\.sessionID)) == Set(ids))
        let sql = ledger.session(ids[0])
        let branch = "x'); DROP TABLE branch; --\u{2}"
        try await sql.createBranch(fromTurn: 2, named: branch)
        #expect(try await sql.listBranches().map(\.name) == ["main", branch])
        #expect(try await sql.currentBranch() == branch)
        try await sql.switchToBranch("main")
        // Both branches hold the item (the branch copies turn 1), so the search finds it twice.
        let hits = try await ledger.session(ids[0]).search("\"DELETE FROM item\"")
        #expect(hits.count == 2 && hits.allSatisfy { $0.item == item }, "\(hits)")
        #expect(try await ledger.verifyReadModel() == [])
        try await ledger.close()
        // The same after a rebuild from the log.
        ReliabilityHelpers.removeReadModel(store.path)
        let reopened = try await store.open()
        #expect(Set(try await reopened.sessions().map(\.sessionID)) == Set(ids))
        #expect(try await reopened.session(ids[1]).items().first?.jsonBytes == Array(content.utf8))
        try await reopened.close()
    }

    @Test("session ids that are canonically equivalent but differ in bytes (NFC é, NFD e + U+0301) stay two sessions")
    func canonicallyEquivalentIDs() async throws {
        let store = try TemporaryStore(prefix: "reliability-nfc")
        defer { store.remove() }
        let ledger = try await store.open()
        let composed = "caf\u{E9}"
        let decomposed = "cafe\u{301}"
        #expect(composed == decomposed && Array(composed.utf8) != Array(decomposed.utf8))
        try await ledger.session(composed).addItems([ItemFactory.user("composed")])
        try await ledger.session(decomposed).addItems([
            ItemFactory.user("decomposed 1"), ItemFactory.user("decomposed 2"),
        ])
        // Within one group commit too.
        async let first: Void = ledger.session(composed).addItems([ItemFactory.user("composed 2")])
        async let second: Void = ledger.session(decomposed).addItems([ItemFactory.user("decomposed 3")])
        _ = try await (first, second)
        let sessions = try await ledger.sessions()
        let differences = try await ledger.verifyReadModel()
        let composedEvents = try await ReliabilityHelpers.events(ledger).filter {
            Array($0.sessionID.utf8) == Array(composed.utf8)
        }
        var filtered: [LedgerEvent] = []
        for try await event in try ledger.events(EventFilter(sessionID: composed)) {
            filtered.append(event)
        }
        try await ledger.close()
        ReliabilityHelpers.removeReadModel(store.path)
        let reopened = try await store.open()
        let rebuiltSessions = try await reopened.sessions()
        try await reopened.close()
        #expect(sessions.count == 2, "\(sessions)")
        #expect(differences == [], "the live read model differs from a rebuild: \(differences.prefix(5))")
        #expect(
            filtered == composedEvents,
            "EventFilter(sessionID:) matched \(filtered.count) events, \(composedEvents.count) belong to the session"
        )
        #expect(rebuiltSessions.count == 2, "after a rebuild from the log: \(rebuiltSessions)")
    }

    /// Rewrites the last frame of the store's log with its payload changed by `patch` (valid
    /// checksums, the hash chain intact), as a newer version of AgentLedger would have written it.
    private func rewriteLastFrame(_ store: String, patch: (inout [UInt8]) -> Void) throws {
        let reader = try LogReader.open(directory: store)
        var frames = reader.frames(from: reader.lastSequence)
        let frame = try #require(try frames.next())
        var payload = frame.payload
        patch(&payload)
        let encoder = try FrameEncoder(compressionLevel: 3, dictionary: true)
        _ = try payload.withUnsafeBytes {
            try encoder.encode(
                firstSequence: frame.firstSequence,
                eventCount: frame.eventCount,
                payload: $0,
                previousHash: try #require(FrameHash(bytes: frame.previousHash))
            )
        }
        let path = store + "/log/" + frame.location.segment
        let bytes = try LogFileBytes.read(path)
        try LogFileBytes.write(Array(bytes.prefix(Int(frame.location.offset))) + encoder.encodedFrame, to: path)
    }

    @Test("an empty store path is refused: it would make a store of the current directory")
    func emptyStorePath() async throws {
        let before = try FileManager.default.contentsOfDirectory(atPath: FileManager.default.currentDirectoryPath)
        for readOnly in [false, true] {
            let error = await ReliabilityHelpers.error {
                _ = try await Ledger.open(at: "", options: LedgerOptions(durability: .none, readOnly: readOnly))
            }
            #expect(error?.code == .invalidArgument, "read-only \(readOnly): \(String(describing: error))")
        }
        let rebuilding = await ReliabilityHelpers.error { _ = try await Ledger.openRebuildingViews(at: "") }
        #expect(rebuilding?.code == .invalidArgument)
        let verifying = await ReliabilityHelpers.error { _ = try await Ledger.verifyLog(at: "") }
        #expect(verifying?.code == .invalidArgument)
        let copying = await ReliabilityHelpers.error {
            _ = try await Ledger.checkout(from: "", through: 1, into: "/nonexistent/agentledger-checkout")
        }
        #expect(copying?.code == .invalidArgument)
        let after = try FileManager.default.contentsOfDirectory(atPath: FileManager.default.currentDirectoryPath)
        #expect(after == before, "nothing created in the current directory")
    }

    @Test("a compression level beyond 32 bits is refused with invalidArgument, not a trap")
    func compressionLevelBeyond32Bits() async throws {
        let directory = try TemporaryDirectory(prefix: "reliability-level")
        defer { directory.remove() }
        for level in [Int(Int32.max) + 1, Int.min] {
            let error = await ReliabilityHelpers.error {
                _ = try await Ledger.open(
                    at: directory.path + "/store",
                    options: LedgerOptions(durability: .none, compressionLevel: level)
                )
            }
            #expect(error?.code == .invalidArgument, "level \(level): \(String(describing: error))")
            // The message names the level the caller gave, not a 32-bit stand-in for it.
            #expect(error?.message.contains("level \(level) is outside") == true, "\(String(describing: error))")
        }
    }

    @Test("an interval of durability too long to count in nanoseconds (Int.max) works as a very long one")
    func intervalBeyondNanoseconds() async throws {
        let directory = try TemporaryDirectory(prefix: "reliability-interval")
        defer { directory.remove() }
        for milliseconds in [Int.max, 18_446_744_073_709] {
            let store = directory.path + "/store-\(milliseconds)"
            let ledger = try await Ledger.open(
                at: store,
                options: LedgerOptions(durability: .interval(milliseconds: milliseconds))
            )
            try await ledger.session("s").addItems([ItemFactory.user("one")])
            try await ledger.session("s").addItems([ItemFactory.user("two")])
            #expect(try await ledger.session("s").items().count == 2)
            try await ledger.close()
            let reopened = try await Ledger.open(at: store, options: LedgerOptions(durability: .none))
            #expect(try await reopened.session("s").items().count == 2)
            try await reopened.close()
        }
        // Deadlines stay below 2^62 ns, where `DispatchTime` reads another clock (the idle writer spun).
        #expect(LedgerWriter.intervalNanoseconds(Int.max) == LedgerWriter.longestIntervalNanoseconds)
        #expect(LedgerWriter.longestIntervalNanoseconds < 1 << 62)
        #expect(LedgerWriter.intervalNanoseconds(-1) == 0)
        #expect(LedgerWriter.intervalNanoseconds(5) == 5_000_000)
    }

    @Test(
        "an event of a future encoding version (valid checksums and chain) is refused with 'upgrade', the store unchanged"
    )
    func futureEventVersion() async throws {
        let directory = try TemporaryDirectory(prefix: "reliability-future")
        defer { directory.remove() }
        let store = directory.path + "/store"
        let ledger = try await Ledger.open(at: store, options: LedgerOptions(durability: .none))
        try await ledger.session("s").addItems([ItemFactory.user("one")])
        try await ledger.session("s").addItems([ItemFactory.user("two")])
        try await ledger.close()
        try LogFileBytes.write(try LogFileBytes.read(store + "/views.sqlite"), to: directory.path + "/views-before")
        let reopenedOnce = try await Ledger.open(at: store, options: LedgerOptions(durability: .none))
        try await reopenedOnce.session("s").addItems([ItemFactory.user("three"), ItemFactory.user("four")])
        try await reopenedOnce.close()
        try rewriteLastFrame(store) { $0[0] = 2 }
        // Without the read model: the head this build's close recorded is not the rewritten
        // frame's (ClosedHeadCheck); the newer writer of such a frame would have recorded its own.
        ReliabilityHelpers.removeReadModel(store)
        let verification = try await Ledger.verifyLog(at: store)
        #expect(verification.isIntact, "the frame itself is valid: \(verification.problems)")
        let log = try ReliabilityHelpers.logFiles(store)
        // Rebuilding (no read model) and catching up (a read model from before the frame) both refuse.
        for (name, prepare) in [
            ("rebuild", { ReliabilityHelpers.removeReadModel(store) }),
            (
                "catch-up",
                {
                    ReliabilityHelpers.removeReadModel(store)
                    try LogFileBytes.write(
                        try LogFileBytes.read(directory.path + "/views-before"),
                        to: store + "/views.sqlite"
                    )
                }
            ),
        ] as [(String, () throws -> Void)] {
            try prepare()
            for attempt in 1...2 {
                let error = await ReliabilityHelpers.error {
                    _ = try await Ledger.open(at: store, options: LedgerOptions(durability: .none))
                }
                #expect(error?.code == .unsupportedVersion, "\(name) \(attempt): \(String(describing: error))")
                #expect(error?.message.contains("upgrade AgentLedger") == true, "\(name): \(String(describing: error))")
                #expect(error?.location?.sequence == 3, "\(name): \(String(describing: error))")
                #expect(try ReliabilityHelpers.logFiles(store) == log, "\(name): the refused open changed the log")
            }
        }
        // A read model that already holds those events opens; reading the log refuses the frame.
        try LogFileBytes.write(try LogFileBytes.read(directory.path + "/views-before"), to: store + "/views.sqlite")
        try rewriteLastFrame(store) { $0[0] = 1 }
        let current = try await Ledger.open(at: store, options: LedgerOptions(durability: .none))
        try await current.close()
        try rewriteLastFrame(store) { $0[0] = 2 }
        // The head that close recorded is not this frame's (LogDivergence): the open rebuilds,
        // and the rebuild refuses the frame.
        let refused = await ReliabilityHelpers.error {
            _ = try await Ledger.open(at: store, options: LedgerOptions(durability: .none))
        }
        #expect(refused?.code == .unsupportedVersion, "\(String(describing: refused))")
        #expect(try ReliabilityHelpers.logFiles(store) == log, "the refused open changed the log")
        // Without that head (a writer that did not close), the check reads the frame and cannot
        // decode it either; it leaves that to what reads it next.
        try await LogDivergenceTests.forgetClosedHead(store)
        let opened = try await Ledger.open(at: store, options: LedgerOptions(durability: .none))
        var seen: [UInt64] = []
        let error = await ReliabilityHelpers.error {
            for try await event in try opened.events() {
                seen.append(event.sequence)
            }
        }
        #expect(error?.code == .unsupportedVersion && seen == [1, 2], "\(String(describing: error)) \(seen)")
        try await opened.close()
        // An unknown kind in a version-1 event is damage, not a newer version.
        try rewriteLastFrame(store) {
            $0[0] = 1
            $0[1] = 99
        }
        ReliabilityHelpers.removeReadModel(store)
        let unknownKind = await ReliabilityHelpers.error {
            _ = try await Ledger.open(at: store, options: LedgerOptions(durability: .none))
        }
        #expect(unknownKind?.code == .corruptLog && unknownKind?.location != nil, "\(String(describing: unknownKind))")
    }

    @Test(
        "maxItemBytes or groupCommitMaxBytes beyond what one log frame holds (or below 1) is refused when the store opens, before anything is written"
    )
    func maxItemBytesBounds() async throws {
        let directory = try TemporaryDirectory(prefix: "reliability-item-limit")
        defer { directory.remove() }
        let store = directory.path + "/store"
        for limit in [0, LedgerOptions.largestMaxItemBytes + 1, 1_000_000_001] {
            let error = await ReliabilityHelpers.error {
                _ = try await Ledger.open(at: store, options: LedgerOptions(durability: .none, maxItemBytes: limit))
            }
            #expect(error?.code == .invalidArgument, "\(limit): \(String(describing: error))")
            #expect(error?.message.contains("maxItemBytes \(limit)") == true, "\(String(describing: error))")
            #expect(!FileManager.default.fileExists(atPath: store + "/log"), "\(limit): the refused open wrote a log")
        }
        // A group commit is one frame too.
        for limit in [0, LedgerOptions.largestMaxItemBytes + 1] {
            let error = await ReliabilityHelpers.error {
                _ = try await Ledger.open(
                    at: store,
                    options: LedgerOptions(durability: .none, groupCommitMaxBytes: limit)
                )
            }
            #expect(error?.message.contains("groupCommitMaxBytes \(limit)") == true, "\(String(describing: error))")
            #expect(!FileManager.default.fileExists(atPath: store + "/log"), "\(limit): the refused open wrote a log")
        }

        let ledger = try await Ledger.open(
            at: store,
            options: LedgerOptions(durability: .none, maxItemBytes: LedgerOptions.largestMaxItemBytes)
        )
        try await ledger.session("s").addItems([ItemFactory.user("fits")])
        try await ledger.close()
    }
}
