import AgentLedger
import AgentLedgerTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A failed write or fsync of the log stops the store until the next call recovers the log in
/// place (the lock held, the files read back as an open would). These cases go past a fault
/// that fires once: one that fires again right after the recovery, and a cut that fails too.
@Suite("The log recovers in place after a failed write")
struct LogRecoveryInPlaceTests {
    /// Opens `store` on `fileSystem`, logging to `capture`, with `configure` applied last.
    private func open(
        _ store: TemporaryStore,
        on fileSystem: FaultyFileSystem,
        logging capture: ReliabilityLogCapture,
        durability: Durability = .fsync,
        configure: (inout LedgerOptions) -> Void = { _ in }
    ) async throws -> Ledger {
        try await store.open(durability: durability) { options in
            options.fileSystem = fileSystem
            options.logger = capture.logger
            configure(&options)
        }
    }

    /// Adds "one" to `session`, then "two" with its fsync failing and the cut after it failing
    /// too, so that its frame stays in the file though its caller gets `io`; returns "one".
    private func failSyncAndCut(_ session: LedgerSession, on fileSystem: FaultyFileSystem) async throws -> SessionItem {
        let one = ItemFactory.user("one")
        try await session.addItems([one])
        fileSystem.failSync(1, errno: EIO, pathSuffix: ".seg")
        fileSystem.inject(.fail(errno: EIO), on: .truncate, number: 1, pathSuffix: ".seg")
        let failed = await ReliabilityHelpers.error { try await session.addItems([ItemFactory.user("two")]) }
        #expect(failed?.code == .io, "\(String(describing: failed))")
        #expect(fileSystem.statistics.faultsInjected == 2)
        return one
    }

    /// Reopens `store` and checks that session "s" holds `items` (and the log ends at `head`,
    /// when given), the read model equals a rebuild, and the log verifies.
    private func expectReopened(
        _ store: TemporaryStore,
        holding items: [SessionItem],
        head: UInt64? = nil
    ) async throws {
        let reopened = try await store.open(durability: .fsync)
        #expect(try await reopened.session("s").items() == items)
        if let head {
            #expect(try await reopened.headSequence() == head)
        }
        #expect(try await reopened.verifyReadModel() == [])
        try await reopened.close()
        #expect(try await Ledger.verifyLog(at: store.path).isIntact)
    }

    @Test(
        "a log that fails again right after recovering is refused at once, without another recovery, within logRecoveryInterval; after it, the next write recovers it"
    )
    func failingAgainWaitsForTheInterval() async throws {
        let store = try TemporaryStore(prefix: "recovery-interval")
        defer { store.remove() }
        let fileSystem = FaultyFileSystem()
        let capture = ReliabilityLogCapture()
        func open(interval: Duration) async throws -> Ledger {
            try await self.open(store, on: fileSystem, logging: capture) { options in
                // Without reservation every frame is one write, so the faults hit frames.
                options.logPreallocationBytes = 0
                options.logRecoveryInterval = interval
            }
        }
        func recoveries() -> Int {
            capture.messages.filter { $0.contains("the log recovered after a failed write") }.count
        }
        /// The next two frame writes fail: the first stops the log, the second follows its
        /// recovery at once. (A rule counts only the writes after the one before it fired.)
        func failTwice(_ session: LedgerSession) async {
            fileSystem.failWrite(1, errno: ENOSPC, pathSuffix: ".seg")
            fileSystem.failWrite(1, errno: ENOSPC, pathSuffix: ".seg")
            for text in ["lost", "lost again"] {
                let error = await ReliabilityHelpers.error { try await session.addItems([ItemFactory.user(text)]) }
                #expect(error?.code == .io, "\(String(describing: error))")
            }
        }
        // An interval no test run outlasts: the refusal is certain.
        let ledger = try await open(interval: .seconds(600))
        let session = ledger.session("s")
        let one = ItemFactory.user("one")
        try await session.addItems([one])
        await failTwice(session)
        #expect(fileSystem.statistics.faultsInjected == 2)
        #expect(recoveries() == 1, "\(capture.messages)")
        let writes = fileSystem.statistics.writes
        let refused = await ReliabilityHelpers.error { try await session.addItems([ItemFactory.user("refused")]) }
        #expect(refused?.code == .writerFailed, "\(String(describing: refused))")
        #expect(refused?.message.contains("less than") == true, "\(String(describing: refused))")
        #expect(recoveries() == 1, "no second recovery within the interval")
        #expect(fileSystem.statistics.writes == writes, "a refused write touches no file")
        #expect(try await session.items() == [one], "queries go on while writes are refused")
        #expect(try await session.search("one").count == 1, "and so do searches")
        try await ledger.close()
        // A short interval, outlasted: the next write recovers the log.
        let reopened = try await open(interval: .milliseconds(50))
        let again = reopened.session("s")
        await failTwice(again)
        try await Task.sleep(for: .milliseconds(100))
        let five = ItemFactory.user("five")
        #expect(try await again.append([five]) == 2)
        #expect(try await again.items() == [one, five])
        try await reopened.close()
        try await expectReopened(store, holding: [one, five])
    }

    @Test(
        "a failed fsync whose cut fails too: the caller gets io, and the next call (a search here) recovers the log, cutting that frame again, so nothing the caller was told failed ever shows"
    )
    func frameCutAgainOnRecovery() async throws {
        let store = try TemporaryStore(prefix: "recovery-cut-again")
        defer { store.remove() }
        let fileSystem = FaultyFileSystem()
        let capture = ReliabilityLogCapture()
        let ledger = try await open(store, on: fileSystem, logging: capture)
        let session = ledger.session("s")
        let one = try await failSyncAndCut(session, on: fileSystem)
        #expect(try await session.search("two").isEmpty)
        #expect(
            capture.messages.contains { $0.contains("cut frames from the log on recovery") },
            "\(capture.messages)"
        )
        #expect(try await ledger.headSequence() == 1)
        #expect(try await session.items() == [one])
        let three = ItemFactory.user("three")
        #expect(try await session.append([three]) == 2)
        try await ledger.close()
        try await expectReopened(store, holding: [one, three])
    }

    @Test(
        "a failed fsync whose cut fails too, then a rebuild of the read model and a close with no write between: the rebuild stops at the acknowledged end, and the close cuts the frame, so the reopened store never shows it"
    )
    func rebuildAndCloseAfterAFailedCut() async throws {
        let store = try TemporaryStore(prefix: "recovery-close")
        defer { store.remove() }
        let fileSystem = FaultyFileSystem()
        let ledger = try await open(store, on: fileSystem, logging: ReliabilityLogCapture())
        let session = ledger.session("s")
        let one = try await failSyncAndCut(session, on: fileSystem)
        try await ledger.rebuildViews()
        #expect(try await session.items() == [one])
        try await ledger.close()
        try await expectReopened(store, holding: [one], head: 1)
    }

    @Test(
        "with interval durability, a failed fsync at a roll-over fails its add; the next add recovers the log, writing the acknowledged but unsynced adds again, and every acknowledged add survives"
    )
    func intervalSyncFailure() async throws {
        let store = try TemporaryStore(prefix: "recovery-interval-sync")
        defer { store.remove() }
        let fileSystem = FaultyFileSystem()
        let capture = ReliabilityLogCapture()
        // No timed fsync within the test: the first add syncs, the next ones only at a roll-over.
        let ledger = try await open(
            store,
            on: fileSystem,
            logging: capture,
            durability: .interval(milliseconds: 600_000)
        ) { options in
            options.segmentSizeBytes = 4096  // the minimum
        }
        let session = ledger.session("s")
        var acknowledged = [ItemFactory.user("first")]
        try await session.addItems(acknowledged)
        fileSystem.failSync(1, errno: EIO, pathSuffix: ".seg")
        var failure: LedgerError?
        for call in 0..<100 where failure == nil {
            let item = ItemFactory.user("acknowledged \(call) " + String(repeating: "x", count: 200))
            failure = await ReliabilityHelpers.error { try await session.addItems([item]) }
            if failure == nil {
                acknowledged.append(item)
            }
        }
        #expect(failure?.code == .io, "\(String(describing: failure))")
        #expect(fileSystem.statistics.faultsInjected == 1)
        #expect(acknowledged.count > 2, "some adds were acknowledged before an fsync")
        let next = ItemFactory.user("after the failure")
        try await session.addItems([next])
        #expect(
            capture.messages.contains { $0.contains("wrote acknowledged frames again") },
            "\(capture.messages)"
        )
        #expect(try await session.items() == acknowledged + [next])
        try await ledger.close()
        try await expectReopened(store, holding: acknowledged + [next])
    }
}
