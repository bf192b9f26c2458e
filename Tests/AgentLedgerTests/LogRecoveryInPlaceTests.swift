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
    @Test(
        "a log that fails again right after recovering is refused at once, without another recovery, until a second has passed; then it recovers and takes writes"
    )
    func failingAgainWaitsForTheInterval() async throws {
        let store = try TemporaryStore(prefix: "recovery-interval")
        defer { store.remove() }
        let fileSystem = FaultyFileSystem()
        let capture = ReliabilityLogCapture()
        let ledger = try await store.open(durability: .fsync) { options in
            options.fileSystem = fileSystem
            // Without reservation every frame is one write, so the faults hit frames.
            options.logPreallocationBytes = 0
            options.logger = capture.logger
        }
        let session = ledger.session("s")
        let one = ItemFactory.user("one")
        try await session.addItems([one])
        // The next two frame writes fail: the first stops the log, the second follows its
        // recovery at once.
        // (A rule counts only the writes after the one before it fired.)
        fileSystem.failWrite(1, errno: ENOSPC, pathSuffix: ".seg")
        fileSystem.failWrite(1, errno: ENOSPC, pathSuffix: ".seg")
        let first = await ReliabilityHelpers.error { try await session.addItems([ItemFactory.user("two")]) }
        #expect(first?.code == .io, "\(String(describing: first))")
        let second = await ReliabilityHelpers.error { try await session.addItems([ItemFactory.user("three")]) }
        #expect(second?.code == .io, "\(String(describing: second))")
        #expect(fileSystem.statistics.faultsInjected == 2)
        let recoveries = capture.messages.filter { $0.contains("the log recovered after a failed write") }.count
        #expect(recoveries == 1, "\(capture.messages)")
        let refused = await ReliabilityHelpers.error { try await session.addItems([ItemFactory.user("four")]) }
        #expect(refused?.code == .writerFailed, "\(String(describing: refused))")
        #expect(refused?.message.contains("less than") == true, "\(String(describing: refused))")
        #expect(
            capture.messages.filter { $0.contains("the log recovered after a failed write") }.count == 1,
            "no second recovery within the interval"
        )
        #expect(try await session.items() == [one], "queries go on while writes are refused")
        #expect(try await session.search("one").count == 1, "and so do searches")
        try await Task.sleep(for: .milliseconds(1_100))
        let five = ItemFactory.user("five")
        #expect(try await session.append([five]) == 2)
        #expect(try await session.items() == [one, five])
        try await ledger.close()
        let reopened = try await store.open(durability: .fsync)
        #expect(try await reopened.session("s").items() == [one, five])
        #expect(try await reopened.verifyReadModel() == [])
        try await reopened.close()
        #expect(try await Ledger.verifyLog(at: store.path).isIntact)
    }

    @Test(
        "a failed fsync whose cut fails too: the caller gets io, and the next call (a search here) recovers the log, which keeps that frame as a reopen would: the head and the items show it, and a warning says so"
    )
    func frameKeptWhenTheCutFails() async throws {
        let store = try TemporaryStore(prefix: "recovery-kept")
        defer { store.remove() }
        let fileSystem = FaultyFileSystem()
        let capture = ReliabilityLogCapture()
        let ledger = try await store.open(durability: .fsync) { options in
            options.fileSystem = fileSystem
            options.logger = capture.logger
        }
        let session = ledger.session("s")
        let one = ItemFactory.user("one")
        try await session.addItems([one])
        fileSystem.failSync(1, errno: EIO, pathSuffix: ".seg")
        fileSystem.inject(.fail(errno: EIO), on: .truncate, number: 1, pathSuffix: ".seg")
        let two = ItemFactory.user("two")
        let failed = await ReliabilityHelpers.error { try await session.addItems([two]) }
        #expect(failed?.code == .io, "\(String(describing: failed))")
        #expect(fileSystem.statistics.faultsInjected == 2)
        #expect(try await ledger.headSequence() == 1)
        _ = try await session.search("two")
        #expect(try await ledger.headSequence() == 2)
        #expect(try await session.items() == [one, two])
        #expect(
            capture.messages.contains { $0.contains("the log kept events whose calls failed") },
            "\(capture.messages)"
        )
        let three = ItemFactory.user("three")
        #expect(try await session.append([three]) == 3)
        try await ledger.close()
        let reopened = try await store.open(durability: .fsync)
        #expect(try await reopened.session("s").items() == [one, two, three])
        #expect(try await reopened.verifyReadModel() == [])
        try await reopened.close()
    }
}
