import AgentLedger
import AgentLedgerTestSupport
import Foundation
import Synchronization
import Testing

@Suite("Import and export")
struct TransferTests {
    /// Every event of `ledger`'s log, as an export reads them.
    static func events(of ledger: Ledger) async throws -> [LedgerEvent] {
        var events: [LedgerEvent] = []
        for try await event in try ledger.events() {
            events.append(event)
        }
        return events
    }

    /// Session `big` of `ledger` after 20 adds of one item of about 1,000 bytes.
    static func addTwentyLargeItems(_ ledger: Ledger) async throws -> LedgerSession {
        let session = ledger.session("big")
        for index in 1...20 {
            try await session.addItems([ItemFactory.user("\(index) " + String(repeating: "x", count: 1000))])
        }
        return session
    }

    /// Removes the stores of a test.
    static func remove(_ stores: TemporaryStore...) {
        for store in stores {
            store.remove()
        }
    }

    @Test("events replayed into an empty store reproduce every session, branch and usage exactly")
    func replay() async throws {
        let (source, target) = (try TemporaryStore(), try TemporaryStore())
        defer { Self.remove(source, target) }
        let ledger = try await source.open()
        let session = ledger.session("s")
        try await session.addItems(BranchTests.conversation)
        await session.storeRunUsage(RunUsage(requests: 1, totalTokens: 9, detailsJSON: #"{"a": 1}"#))
        try await session.createBranch(fromTurn: 2, named: "alt")
        try await session.addItems([ItemFactory.user("alt question")])
        _ = try await session.popItem()
        try await session.switchToBranch("main")
        try await ledger.session("t").addItems([ItemFactory.user("other")])
        try await ledger.session("t").clearSession()
        let events = try await Self.events(of: ledger)
        let copy = try await target.open()
        let summary = try await copy.importEvents(events)
        #expect(summary.refused == [])
        for id in ["s", "t"] {
            for branch in ["main", "alt"] {
                #expect(try await copy.session(id).items(branch: branch) == ledger.session(id).items(branch: branch))
            }
            #expect(
                try await copy.session(id).listBranches().map(\.name) == ledger.session(id).listBranches().map(\.name)
            )
            #expect(try await copy.session(id).currentBranch() == ledger.session(id).currentBranch())
            #expect(try await copy.session(id).turnUsage().map(\.usage) == ledger.session(id).turnUsage().map(\.usage))
        }
        try await copy.close()
        try await ledger.close()
    }

    @Test(
        "an event the store refuses whatever it holds (an item over maxItemBytes, usage out of range) refuses the whole import before anything is written"
    )
    func refusedWhateverTheStoreHolds() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let ledger = try await store.open { $0.maxItemBytes = 100 }
        func event(_ sequence: UInt64, _ payload: EventPayload) -> LedgerEvent {
            LedgerEvent(sequence: sequence, timestampMicros: 0, sessionID: "s", branch: "main", payload: payload)
        }
        let small = event(1, .itemsAdded([ItemFactory.user("hi")]))
        let long = ItemFactory.user(String(repeating: "x", count: 100))
        let big = event(2, .itemsAdded([ItemFactory.user("hi"), long]))
        let usage = event(3, .usageRecorded(turn: 1, usage: RunUsage(requests: -1)))
        #expect(Ledger.importRefusal(of: small, options: LedgerOptions(maxItemBytes: 100)) == nil)

        let oversized = try await #require(throws: LedgerError.self) { try await ledger.importEvents([small, big]) }
        #expect(oversized.code == .invalidItem, "\(oversized)")
        #expect(
            oversized.message.hasPrefix("event 2: item 1 is \(long.jsonBytes.count) bytes, over the limit of 100 "),
            "\(oversized)"
        )
        #expect(oversized.message.hasSuffix("nothing was imported"), "\(oversized)")
        let negative = try await #require(throws: LedgerError.self) { try await ledger.importEvents([small, usage]) }
        #expect(negative.code == .invalidArgument, "\(negative)")
        #expect(negative.message.hasPrefix("event 2: the usage's requests is -1"), "\(negative)")
        #expect(try await ledger.headSequence() == 0)
        #expect(try await ledger.importEvents([small]).eventsWritten == 1)
        try await ledger.close()
    }

    @Test("events on a branch the target refused are refused too, never written to another branch")
    func refusedBranchKeepsItsEvents() async throws {
        let (source, target) = (try TemporaryStore(), try TemporaryStore())
        defer { Self.remove(source, target) }
        let ledger = try await source.open()
        let session = ledger.session("c")
        try await session.addItems([ItemFactory.user("q1"), ItemFactory.assistant("a1"), ItemFactory.user("q2")])
        try await session.createBranch(fromTurn: 2, named: "retry")
        try await session.addItems([ItemFactory.user("retry only")])
        await session.storeRunUsage(RunUsage(requests: 1, totalTokens: 3))
        let events = try await Self.events(of: ledger)
        try await ledger.close()

        let copy = try await target.open()
        try await copy.session("c").addItems([ItemFactory.user("x")])
        try await copy.session("c").createBranch(fromTurn: 1, named: "retry")
        try await copy.session("c").switchToBranch("main")
        let summary = try await copy.importEvents(events, appending: true)
        // The branch name is taken; the add and the usage meant for the source's 'retry' follow it.
        #expect(summary.refused.count == 3, "\(summary.refused)")
        #expect(summary.refused.first?.contains("branch name 'retry' was already used") == true)
        #expect(summary.items == 3)
        let main = try await copy.session("c").items(branch: "main")
        #expect(!main.contains(ItemFactory.user("retry only")))
        #expect(main.count == 4)
        #expect(try await !copy.session("c").items(branch: "retry").contains(ItemFactory.user("retry only")))

        // One event on a branch the target does not have: nothing is written.
        let stray = LedgerEvent(
            sequence: 1,
            timestampMicros: 0,
            sessionID: "n",
            branch: "zzz",
            payload: .itemsAdded([ItemFactory.user("stray")])
        )
        let strayImport = try await copy.importEvents([stray])
        #expect(strayImport.items == 0 && strayImport.eventsWritten == 0)
        #expect(strayImport.refused.count == 2, "\(strayImport.refused)")
        #expect(try await copy.session("n").items().isEmpty)
        try await copy.close()
    }

    @Test("a branch whose source branch was refused is refused too, not created from another branch")
    func refusedSourceBranchKeepsItsBranches() async throws {
        let (source, target) = (try TemporaryStore(), try TemporaryStore())
        defer { Self.remove(source, target) }
        let ledger = try await source.open()
        let session = ledger.session("c")
        try await session.addItems([ItemFactory.user("q1"), ItemFactory.assistant("a1"), ItemFactory.user("q2")])
        try await session.createBranch(fromTurn: 2, named: "retry")
        try await session.addItems([ItemFactory.user("retry q2")])
        try await session.createBranch(fromTurn: 2, named: "deeper")
        try await session.deleteBranch("retry")
        let events = try await Self.events(of: ledger)
        try await ledger.close()

        // The target used the name 'retry' and deleted it: the switch to it is refused.
        let copy = try await target.open()
        try await copy.session("c").addItems([ItemFactory.user("x")])
        try await copy.session("c").createBranch(fromTurn: 1, named: "retry")
        try await copy.session("c").deleteBranch("retry", force: true)
        let summary = try await copy.importEvents(events, appending: true)
        let branches = try await copy.session("c").listBranches().map(\.name)
        #expect(!branches.contains("deeper"), "'deeper' was created from another branch than 'retry': \(branches)")
        #expect(
            summary.refused.contains { $0.contains("would create branch 'deeper' from turn 2 of 'main'") },
            "\(summary.refused)"
        )
        #expect(try await copy.session("c").currentBranch() == "main")
        try await copy.close()
    }

    @Test("a branch the import could not create keeps its events off the store's own branch of that name")
    func sameNamedBranchOfTheStore() async throws {
        let (source, target) = (try TemporaryStore(), try TemporaryStore())
        defer { Self.remove(source, target) }
        let ledger = try await source.open()
        let session = ledger.session("c")
        try await session.addItems([ItemFactory.user("q1"), ItemFactory.user("q2")])
        try await session.createBranch(fromTurn: 2, named: "retry")
        try await session.addItems([ItemFactory.user("source retry 1")])
        try await session.switchToBranch("main")
        try await session.addItems([ItemFactory.user("source main 3")])
        try await session.switchToBranch("retry")
        try await session.addItems([ItemFactory.user("source retry 2")])
        await session.storeRunUsage(RunUsage(requests: 1, totalTokens: 3))
        try await session.createBranch(fromTurn: 2, named: "deeper")
        try await session.deleteBranch("retry")
        let events = try await Self.events(of: ledger)
        try await ledger.close()

        // The target has a 'retry' of its own: the import's 'retry' is refused, and every event
        // of the source's 'retry' with it, the switches to it and its deletion included.
        let copy = try await target.open()
        let mine = copy.session("c")
        try await mine.addItems([ItemFactory.user("own")])
        try await mine.createBranch(fromTurn: 1, named: "retry")
        try await mine.addItems([ItemFactory.user("own retry")])
        try await mine.switchToBranch("main")
        let summary = try await copy.importEvents(events, appending: true)
        #expect(try await mine.items(branch: "retry") == [ItemFactory.user("own retry")], "\(summary.refused)")
        #expect(try await mine.turnUsage(branch: "retry").isEmpty)
        #expect(try await mine.listBranches().map(\.name) == ["main", "retry"])
        #expect(try await mine.currentBranch() == "main")
        #expect(summary.refused.contains { $0.contains("has a branch 'retry' of its own") }, "\(summary.refused)")
        try await copy.close()
    }

    @Test("into a session that is not empty, a pop of another item or usage on another turn is refused, reported")
    func replayThatWouldDiffer() async throws {
        let (source, target) = (try TemporaryStore(), try TemporaryStore())
        defer { Self.remove(source, target) }
        let ledger = try await source.open()
        let session = ledger.session("s")
        try await session.addItems([ItemFactory.user("q1"), ItemFactory.assistant("a1")])
        await session.storeRunUsage(RunUsage(requests: 1, totalTokens: 5))
        _ = try await session.popItem()
        let events = try await Self.events(of: ledger)
        try await ledger.close()

        let copy = try await target.open()
        try await copy.session("s").addItems([ItemFactory.user("q0"), ItemFactory.assistant("mine")])
        let summary = try await copy.importEvents(events, appending: true)
        // The add goes on; usage would land on turn 2, not 1; the pop would take "a1" back (it
        // is the last item again), so it matches and is written.
        #expect(summary.refused.count == 1, "\(summary.refused)")
        #expect(summary.refused.first?.contains("would record usage on turn 2, not 1") == true)
        #expect(try await copy.session("s").turnUsage().isEmpty)
        #expect(
            try await copy.session("s").items() == [
                ItemFactory.user("q0"), ItemFactory.assistant("mine"), ItemFactory.user("q1"),
            ]
        )

        // A pop whose item is not the branch's last is refused; nothing is popped.
        let pop = try #require(events.last)
        try await copy.session("s").addItems([ItemFactory.assistant("other")])
        let popSummary = try await copy.importEvents([pop], appending: true)
        #expect(popSummary.refused.count == 1 && popSummary.refused[0].contains("would pop"), "\(popSummary.refused)")
        #expect(try await copy.session("s").items().last == ItemFactory.assistant("other"))
        try await copy.close()
    }

    @Test("an Agents SDK SQLiteSession database is imported in id order, items verbatim")
    func sdkImport() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let database = store.path + "-sdk.db"
        defer { try? FileManager.default.removeItem(atPath: database) }
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Fixtures/sdk-sqlite-session.sql").standardized.path
        let shell = try ChildSpawn.run("/usr/bin/sqlite3", [database, ".read \(fixture)"])
        #expect(shell.status == 0, "\(shell.output)")
        let ledger = try await store.open()
        let summary = try await ledger.importSDKSQLite(at: database)
        #expect(summary.sessions == 2 && summary.items == 5 && summary.refused == [])
        let items = try await ledger.session("user_123").items()
        #expect(
            items.map(\.json) == [
                #"{"role": "user", "content": "What city is the Golden Gate Bridge in?"}"#,
                #"{"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "San Francisco"}]}"#,
                #"{"role": "user", "content": "What state is it in? \u00e9"}"#,
            ]
        )
        #expect(try await ledger.session("empty_then_two").items().count == 2)
        let missing = try await #require(throws: LedgerError.self) {
            try await ledger.importSDKSQLite(at: store.path + "/nope.db")
        }
        #expect(missing.code == .notFound)
        try await ledger.close()
    }

    /// The events of 1,500 adds of one item to session `s`: an import of them takes two group
    /// commits (1,000 commands, then 500).
    static func fifteenHundredAdds() async throws -> [LedgerEvent] {
        let source = try TemporaryStore()
        defer { source.remove() }
        let ledger = try await source.open()
        for index in 0..<1500 {
            try await ledger.session("s").addItems([ItemFactory.user("message \(index)")])
        }
        let events = try await Self.events(of: ledger)
        try await ledger.close()
        return events
    }

    @Test("an import that fails part way says where it stopped and what it wrote")
    func stoppedPartWay() async throws {
        let events = try await Self.fifteenHundredAdds()
        // How many log writes the first group commit of an import (1,000 events) takes.
        let probe = try TemporaryStore()
        defer { probe.remove() }
        let counting = FaultyFileSystem()
        let probed = try await probe.open { $0.fileSystem = counting }
        counting.resetStatistics()
        _ = try await probed.importEvents(Array(events.prefix(1000)))
        let writesPerCommit = counting.statistics.writes
        try await probed.close()
        let target = try TemporaryStore()
        defer { target.remove() }
        let failing = FaultyFileSystem()
        let copy = try await target.open { $0.fileSystem = failing }
        failing.failWrite(writesPerCommit + 1, errno: ENOSPC)
        let error = try await #require(throws: LedgerError.self) { try await copy.importEvents(events) }
        #expect(error.message.contains("No space left on device"), "\(error.message)")
        #expect(
            error.message.contains("The import stopped at event 1001 of the input: the 1000 events it wrote before"),
            "\(error.message)"
        )
        try? await copy.close()
    }

    /// Imports `events` into `ledger` in a task cancelled once the first group commit (1,000
    /// commands) is written (progress runs in the importing task), and returns its error.
    static func importCancelledAfterFirstCommit(
        _ events: [LedgerEvent],
        into ledger: Ledger
    ) async throws -> LedgerError {
        let importing = Task {
            try await ledger.importEvents(events, appending: true) { progress in
                if progress.written == 1000 {
                    withUnsafeCurrentTask { $0?.cancel() }
                }
            }
        }
        return try await #require(throws: LedgerError.self) { try await importing.value }
    }

    @Test("a cancelled import stops between two group commits and says what it wrote")
    func cancelledPartWay() async throws {
        let events = try await Self.fifteenHundredAdds()
        let target = try TemporaryStore()
        defer { target.remove() }
        let copy = try await target.open()
        let error = try await Self.importCancelledAfterFirstCommit(events, into: copy)
        #expect(error.code == .cancelled)
        #expect(
            error.message.contains(
                "The import stopped at event 1001 of the input: the 1000 events it wrote before are in the store, none after them"
            ),
            "\(error.message)"
        )
        #expect(try await copy.headSequence() == 1000)
        #expect(try await copy.session("s").items().count == 1000)
        try await copy.close()
    }

    @Test("an import cancelled before its first group commit says that nothing was imported")
    func cancelledBeforeWriting() async throws {
        let target = try TemporaryStore()
        defer { target.remove() }
        let copy = try await target.open()
        let event = LedgerEvent(
            sequence: 1,
            timestampMicros: 0,
            sessionID: "s",
            branch: "main",
            payload: .itemsAdded([ItemFactory.user("one")])
        )
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await copy.importEvents([event])
        }
        let error = try await #require(throws: LedgerError.self) { try await task.value }
        #expect(error.code == .cancelled)
        #expect(error.message.contains("the import was cancelled before its first group commit"), "\(error.message)")
        #expect(try await copy.headSequence() == 0)
        try await copy.close()
    }

    @Test("an import cancelled after a group commit that held a refused command reports that refusal")
    func cancelledAfterARefusal() async throws {
        let target = try TemporaryStore()
        defer { target.remove() }
        let copy = try await target.open()
        try await copy.session("t").addItems([ItemFactory.user("one")])
        try await copy.session("t").createBranch(fromTurn: 1, named: "x")
        // First a branch the target already has (refused), then 1,500 adds: two group commits.
        var lines = [
            #"{"seq":1,"time":"2026-11-28T22:00:00Z","session":"t","branch":"x","kind":"branch_created","source_branch":"main","from_turn":1}"#
        ]
        for sequence in 2...1501 {
            lines.append(
                #"{"seq":\#(sequence),"time":"2026-11-28T22:00:00Z","session":"s","branch":"main","kind":"items_added","items":[{"role":"user","content":"m \#(sequence)"}]}"#
            )
        }
        let events = try lines.enumerated().map { try LedgerEvent(exportLine: Array($1.utf8), lineNumber: $0 + 1) }
        let error = try await Self.importCancelledAfterFirstCommit(events, into: copy)
        #expect(error.code == .cancelled)
        #expect(
            error.message.contains("Before it stopped, 1 command was refused and not written: "),
            "\(error.message)"
        )
        #expect(error.message.contains("'x'"), "\(error.message)")
        try await copy.close()
    }

    @Test("an import larger than a group commit is written in several frames, each within the limit")
    func largeImportInSeveralFrames() async throws {
        let (source, target) = (try TemporaryStore(), try TemporaryStore())
        defer { Self.remove(source, target) }
        let ledger = try await source.open()
        let session = try await Self.addTwentyLargeItems(ledger)
        let events = try await Self.events(of: ledger)
        // A frame holds at most 1 GiB: an import's group commits must be bounded by bytes, not
        // only by a number of commands.
        let copy = try await target.open { $0.groupCommitMaxBytes = 4096 }
        let reports = Mutex<[ImportProgress]>([])
        let summary = try await copy.importEvents(events) { progress in reports.withLock { $0.append(progress) } }
        #expect(summary.refused == [] && summary.items == 20)
        // One report per group commit, the last one for every event.
        let seen = reports.withLock { $0 }
        #expect(
            seen.count >= 5 && seen.last == ImportProgress(written: 20, total: 20, eventsDone: 20, lastSequence: 20),
            "\(seen)"
        )
        #expect(zip(seen, seen.dropFirst()).allSatisfy { $0.written < $1.written && $0.total == 20 }, "\(seen)")
        // One command per event here: the events done whole are the commands written.
        #expect(seen.allSatisfy { $0.eventsDone == $0.written }, "\(seen)")
        // Into an empty store, event N of the import is the log's event N.
        #expect(seen.allSatisfy { $0.lastSequence == UInt64($0.written) }, "\(seen)")
        #expect(try await copy.session("big").items() == session.items())
        try await copy.close()
        try await ledger.close()
        #expect(try await Ledger.verifyLog(at: target.path).frameCount >= 5)
    }

    @Test("an import's replayed pops count their items toward a group commit's bytes")
    func poppedItemsBoundGroupCommits() async throws {
        let (source, target) = (try TemporaryStore(), try TemporaryStore())
        defer { Self.remove(source, target) }
        let ledger = try await source.open()
        let session = try await Self.addTwentyLargeItems(ledger)
        for _ in 1...20 {
            _ = try await session.popItem()
        }
        let events = try await Self.events(of: ledger)
        try await ledger.close()
        let copy = try await target.open {
            $0.groupCommitMaxBytes = 4096
            $0.clock = SDKImportTests.steppingClock()
        }
        let summary = try await copy.importEvents(events)
        #expect(summary.refused == [] && summary.eventsWritten == 40)
        // Events that share a time shared a group commit: none holds more than 4,096 bytes of
        // items, unless it is one event alone.
        var bytesAt: [Int64: (events: Int, bytes: Int)] = [:]
        for try await event in try copy.events() {
            let bytes =
                switch event.payload {
                case .itemsAdded(let items): items.reduce(0) { $0 + $1.jsonBytes.count }
                case .itemPopped(let item, _, _): item.jsonBytes.count
                default: 0
                }
            bytesAt[event.timestampMicros, default: (0, 0)].events += 1
            bytesAt[event.timestampMicros, default: (0, 0)].bytes += bytes
        }
        #expect(
            bytesAt.values.allSatisfy { $0.events == 1 || $0.bytes <= 4096 },
            "\(bytesAt.values.sorted { $0.bytes > $1.bytes })"
        )
        try await copy.close()
    }
}
