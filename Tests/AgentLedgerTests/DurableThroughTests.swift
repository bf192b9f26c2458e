import AgentLedgerTestSupport
import Foundation
import Synchronization
import Testing

@testable import AgentLedger

/// A read model that shows events durable makes their loss from the log damage, refused at
/// open, instead of a torn tail cut and rebuilt away (``DurableThrough``).
@Suite("Durable events the read model proves")
struct DurableThroughTests {
    /// The real file system, counting the log's `fdatasync` calls.
    final class CountingFileSystem: ForwardingFileSystem, @unchecked Sendable {  // an atomic
        private let syncs = Atomic<Int>(0)

        var syncCount: Int { syncs.load(ordering: .acquiring) }

        override func syncData(_ file: LogFileHandle) throws {
            syncs.add(1, ordering: .releasing)
            try super.syncData(file)
        }
    }

    /// A store of three one-item events written with `durability` and closed; then, as after
    /// a crash, without the head the close recorded; then its last frame cut short.
    private static func crashedStoreWithCutTail(durability: Durability) async throws -> TemporaryStore {
        let store = try TemporaryStore()
        let ledger = try await store.open(durability: durability)
        for index in 0..<3 {
            try await ledger.session("s").addItems([ItemFactory.user("item \(index)")])
        }
        try await ledger.close()
        try await LogDivergenceTests.forgetClosedHead(store.path)
        let segment = store.path + "/log/" + SegmentFileName.name(forBase: 1)
        try LogFileBytes.truncate(segment, to: try LogFileBytes.size(segment) - 5)
        return store
    }

    @Test("after a crash with durability fsync, the checkpoint proves the events: a cut last frame is refused")
    func fsyncCheckpoint() async throws {
        let store = try await Self.crashedStoreWithCutTail(durability: .fsync)
        defer { store.remove() }
        let segment = store.path + "/log/" + SegmentFileName.name(forBase: 1)
        let before = try LogFileBytes.read(segment)
        await #expect {
            _ = try await store.open()
        } throws: { error in
            let error = error as? LedgerError
            return error?.code == .corruptLog && error?.message.contains("events through 3 durably") == true
                && error?.location?.sequence == 3 && error?.message.contains("--as-of-seq 2 --into") == true
        }
        #expect(try LogFileBytes.read(segment) == before, "the refused open cut the log")
        let verification = try await Ledger.verifyLog(at: store.path)
        #expect(verification.problems.map(\.code) == [.corruptLog], "\(verification.problems)")
        #expect(verification.problems.first?.message.contains("damage, not the incomplete write of a crash") == true)
        #expect(verification.problems.first?.location?.sequence == 3)
    }

    @Test(
        "read-only with no writer, eventsEnd() is the last durable event, and reading up to it throws, not ends short"
    )
    func eventsEndOfACutLog() async throws {
        let store = try await Self.crashedStoreWithCutTail(durability: .fsync)
        defer { store.remove() }
        let reader = try await store.open { $0.readOnly = true }
        let end = try await reader.eventsEnd()
        #expect(end == 3)
        var events = try reader.events(EventFilter(toSequence: end)).makeAsyncIterator()
        await #expect {
            _ = try await events.next()
        } throws: { error in
            (error as? LedgerError)?.code == .corruptLog
        }
        try await reader.close()
    }

    @Test("a store whose first writer was killed, never closing: a log cut short of what it acknowledged is refused")
    func firstWriterKilled() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        // The writer opens an empty store (durability fsync) and appends until killed: it
        // never reaches the close.
        let child = try ReliabilityChildProcess(
            executable: try ReliabilityExecutables.ledgerTorture(),
            arguments: ["append", "--store", store.path, "--tasks", "1"]
        )
        let deadline = ContinuousClock.now + .seconds(60)
        while child.lines.filter({ $0.hasPrefix("ack ") }).count < 30, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        child.kill(SIGKILL)
        _ = await child.waitForExit(timeout: .seconds(30))
        #expect(child.lines.filter { $0.hasPrefix("ack ") }.count >= 30, "\(child.standardError)")
        // Cut inside the tenth frame: every event from there on, acknowledged, committed to
        // the read model, is gone from the log.
        let frames = try LogTestHelpers.readAll(store.path)
        let cut = try #require(frames.count > 20 ? frames[9] : nil)
        let segment = store.path + "/log/" + cut.location.segment
        try LogFileBytes.truncate(segment, to: Int(cut.location.offset) + 5)
        let before = try LogFileBytes.read(segment)
        await #expect {
            _ = try await store.open(durability: .fsync)
        } throws: { error in
            let error = error as? LedgerError
            return error?.code == .corruptLog && error?.message.contains("durably") == true
        }
        #expect(try LogFileBytes.read(segment) == before, "the refused open cut the log")
    }

    @Test(
        "after a crash with durability none, the checkpoint proves nothing: the cut is a torn tail, the model rebuilt"
    )
    func noneCheckpoint() async throws {
        let store = try await Self.crashedStoreWithCutTail(durability: .none)
        defer { store.remove() }
        let verification = try await Ledger.verifyLog(at: store.path)
        #expect(verification.problems.map(\.code) == [.truncatedTail], "\(verification.problems)")
        let ledger = try await store.open()
        #expect(try await ledger.headSequence() == 2)
        #expect(try await ledger.session("s").items() == (0..<2).map { ItemFactory.user("item \($0)") })
        #expect(try await ledger.verifyReadModel() == [])
        try await ledger.close()
    }

    @Test(
        "beside a writer of durability none or interval, a log that lost its last frame is refused, with the one exception named",
        arguments: [Durability.none, .interval(milliseconds: 1000)]
    )
    func lostFrameBesideANonFsyncWriter(durability: Durability) async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let writer = try await store.open(durability: durability)
        for index in 0..<3 {
            try await writer.session("s").addItems([ItemFactory.user("item \(index)")])
        }
        // Without preallocation the last frame ends the segment: cut it short.
        let segment = store.path + "/log/" + SegmentFileName.name(forBase: 1)
        try LogFileBytes.truncate(segment, to: try LogFileBytes.size(segment) - 5)
        let reader = try await Ledger.open(at: store.path, options: LedgerOptions(durability: .none, readOnly: true))
        let error = await ReliabilityHelpers.error { _ = try await collect(reader.events()) }
        #expect(error?.code == .corruptLog, "\(String(describing: error))")
        #expect(error?.message.contains("through 3") == true, "\(String(describing: error))")
        // The one case without damage, a writer opening after a power loss, is named.
        #expect(error?.message.contains("rebuilding the read model") == true, "\(String(describing: error))")
        #expect(
            error?.message.contains("Otherwise a damaged or cut last frame") == true,
            "\(String(describing: error))"
        )
        try await reader.close()
        try await writer.close()
    }

    @Test("a clean close with durability none makes the log durable before it records the head")
    func closeSyncsTheLog() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let fileSystem = CountingFileSystem()
        let ledger = try await store.open(durability: .none) { $0.fileSystem = fileSystem }
        try await ledger.session("s").addItems([ItemFactory.user("one")])
        try await ledger.session("s").addItems([ItemFactory.user("two")])
        let beforeClose = fileSystem.syncCount
        try await ledger.close()
        #expect(fileSystem.syncCount == beforeClose + 1)
        #expect(DurableThrough.sequence(directory: store.path, options: LedgerOptions()) == 2)
    }

    @Test("an open makes the log's frames durable before anything builds on them; an empty log needs no fsync")
    func openSyncsTheTail() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let empty = CountingFileSystem()
        var ledger = try await store.open { $0.fileSystem = empty }
        #expect(empty.syncCount == 0)
        try await ledger.session("s").addItems([ItemFactory.user("one")])
        try await ledger.close()
        let fileSystem = CountingFileSystem()
        ledger = try await store.open { $0.fileSystem = fileSystem }
        #expect(fileSystem.syncCount == 1)
        try await ledger.close()
    }

    @Test("a read model rebuilt online keeps the writer's durability, and so its proof after a crash")
    func onlineRebuildKeepsTheProof() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let ledger = try await store.open(durability: .fsync)
        for index in 0..<3 {
            try await ledger.session("s").addItems([ItemFactory.user("item \(index)")])
        }
        try await ledger.rebuildViews()
        try await ledger.close()
        try await LogDivergenceTests.forgetClosedHead(store.path)
        #expect(DurableThrough.sequence(directory: store.path, options: LedgerOptions()) == 3)
    }

    @Test("a log of one frame, damaged, and a log whose segments are all gone are refused after a clean close")
    func noLogIdentity() async throws {
        for deleteAll in [false, true] {
            let store = try TemporaryStore()
            defer { store.remove() }
            let ledger = try await store.open()
            try await ledger.session("s").addItems([ItemFactory.user("one"), ItemFactory.user("two")])
            try await ledger.close()
            let segment = store.path + "/log/" + SegmentFileName.name(forBase: 1)
            if deleteAll {
                try LogFileBytes.remove(segment)
            } else {
                try LogFileBytes.flipBit(segment, at: try LogFileBytes.size(segment) - 1, bit: 2)
            }
            await #expect {
                _ = try await store.open()
            } throws: { error in
                let error = error as? LedgerError
                return error?.code == .corruptLog && error?.message.contains("events through 1 durably") == true
            }
            let verification = try await Ledger.verifyLog(at: store.path)
            #expect(verification.problems.map(\.code) == [.corruptLog], "\(deleteAll): \(verification.problems)")
        }
    }

    @Test("a deleted last segment is refused after a clean close; without a read model the log ends before it")
    func deletedLastSegment() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let ledger = try await store.open { $0.segmentSizeBytes = 4096 }
        for index in 0..<40 {
            let padding = String(repeating: "x", count: 200)
            try await ledger.session("s").addItems([ItemFactory.user("item \(index) " + padding)])
        }
        try await ledger.close()
        let names = try LogFileBytes.list(store.path + "/log").sorted()
        try #require(names.count >= 2)
        try LogFileBytes.remove(store.path + "/log/" + names[names.count - 1])
        let previousLast = try #require(SegmentFileName.baseSequence(of: names[names.count - 1])) - 1
        await #expect {
            _ = try await store.open()
        } throws: { error in
            let error = error as? LedgerError
            return error?.code == .corruptLog && error?.message.contains("ends at sequence \(previousLast)") == true
                && error?.message.contains("events through 40 durably") == true
        }
        let verification = try await Ledger.verifyLog(at: store.path)
        #expect(verification.problems.map(\.code) == [.corruptLog], "\(verification.problems)")
        #expect(verification.problems.first?.message.contains("ends at sequence \(previousLast)") == true)
        ReliabilityHelpers.removeReadModel(store.path)
        #expect(try await Ledger.verifyLog(at: store.path).isIntact)
        let reopened = try await store.open()
        #expect(try await reopened.headSequence() == previousLast)
        try await reopened.close()
    }
}
