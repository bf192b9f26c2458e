import AgentLedger
import AgentLedgerTestSupport
import Synchronization
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

    @Test("an import cancelled part way is finished by the events from its last eventsDone on, appending")
    func finishCancelledImport() async throws {
        let (source, target) = (try TemporaryStore(), try TemporaryStore())
        defer { TransferTests.remove(source, target) }
        let ledger = try await source.open()
        let session = ledger.session("s")
        try await session.addItems([ItemFactory.user("first")])
        try await session.addItems([ItemFactory.user("second")])
        // 1,601 events over 400 branches, each switch and creation a command of its own; the
        // first group commit (1,000 commands) ends before an add, which a resumption from the
        // wrong event would lose or repeat.
        for index in 0..<400 {
            try await session.switchToBranch("main")
            try await session.addItems([ItemFactory.user("main \(index)")])
            try await session.createBranch(fromTurn: 1, named: "b\(index)")
            try await session.addItems([ItemFactory.user("b \(index)")])
        }
        let events = try await TransferTests.events(of: ledger)

        let copy = try await target.open()
        let done = Mutex(0)
        let importing = Task {
            try await copy.importEvents(events) { progress in
                done.withLock { $0 = progress.eventsDone ?? -1 }
                if progress.written >= 1000 {
                    withUnsafeCurrentTask { $0?.cancel() }
                }
            }
        }
        let error = try await #require(throws: LedgerError.self) { try await importing.value }
        #expect(error.code == .cancelled)
        let resumeAt = done.withLock { $0 }
        #expect(resumeAt > 0 && resumeAt < events.count, "\(resumeAt) of \(events.count)")
        if case .itemsAdded = events[resumeAt].payload {
        } else {
            Issue.record("the import stopped before \(events[resumeAt].payload), not an add")
        }
        _ = try await copy.importEvents(Array(events[resumeAt...]), appending: true)
        #expect(try await TransferTests.events(of: copy).count == events.count)
        for branch in try await session.listBranches().map(\.name) {
            #expect(try await copy.session("s").items(branch: branch) == session.items(branch: branch), "\(branch)")
        }
        #expect(try await copy.session("s").currentBranch() == session.currentBranch())
        try await copy.close()
        try await ledger.close()
    }

    @Test(
        "an import cancelled between an event's switch to its branch and its add resumes at that event: the store ends as after an import never cancelled"
    )
    func cancelledBetweenSwitchAndAdd() async throws {
        let (source, target, reference) = (try TemporaryStore(), try TemporaryStore(), try TemporaryStore())
        defer { TransferTests.remove(source, target, reference) }
        let ledger = try await source.open()
        // 999 one-command events, then an add to 's' on main: in a store whose 's' is on
        // another branch it takes a switch (command 1,000, the first group commit's last) and
        // the add (the second's first).
        for index in 0..<999 {
            try await ledger.session("t").addItems([ItemFactory.user("t \(index)")])
        }
        for index in 0..<3 {
            try await ledger.session("s").addItems([ItemFactory.user("s \(index)")])
        }
        let events = try await TransferTests.events(of: ledger)
        try await ledger.close()
        func prepared(_ store: TemporaryStore) async throws -> Ledger {
            let copy = try await store.open()
            let session = copy.session("s")
            try await session.addItems([ItemFactory.user("before")])
            try await session.createBranch(fromTurn: 1, named: "b")
            try await session.addItems([ItemFactory.user("on b")])
            return copy
        }

        let whole = try await prepared(reference)
        _ = try await whole.importEvents(events, appending: true)
        let copy = try await prepared(target)
        let done = Mutex(0)
        let importing = Task {
            try await copy.importEvents(events, appending: true) { progress in
                done.withLock { $0 = progress.eventsDone ?? -1 }
                withUnsafeCurrentTask { $0?.cancel() }
            }
        }
        let error = try await #require(throws: LedgerError.self) { try await importing.value }
        #expect(error.code == .cancelled)
        // The first group commit holds the switch of event 1,000 but not its add.
        let resumeAt = done.withLock { $0 }
        #expect(resumeAt == 999)
        #expect(try await copy.session("s").currentBranch() == "main")
        #expect(try await copy.session("s").items() == [ItemFactory.user("before")])
        _ = try await copy.importEvents(Array(events[resumeAt...]), appending: true)

        for name in ["s", "t"] {
            let (resumed, expected) = (copy.session(name), whole.session(name))
            for branch in try await expected.listBranches().map(\.name) {
                #expect(try await resumed.items(branch: branch) == expected.items(branch: branch), "\(name) \(branch)")
            }
            #expect(try await resumed.currentBranch() == expected.currentBranch())
        }
        // No second switch either: the same events as the import never cancelled.
        let kinds = { (ledger: Ledger) in try await TransferTests.events(of: ledger).map(\.kind) }
        #expect(try await kinds(copy) == kinds(whole))
        try await copy.close()
        try await whole.close()
    }
}
