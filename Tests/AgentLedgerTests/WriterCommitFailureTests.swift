import AgentLedgerTestSupport
import Foundation
import GRDB
import GRDBSQLite
import Logging
import Synchronization
import Testing

@testable import AgentLedger

/// Whether the commit hook of ``WriterCommitFailureTests`` turns the writer's COMMITs into
/// failures.
private let failCommits = Atomic<Bool>(false)

/// Whether the next COMMIT under the commit hook of ``WriterCommitFailureTests`` fails, once,
/// after ``releaseSlowCommit`` is set (or 10 s): calls made after its batch's acknowledgement
/// queue behind it meanwhile.
private let failNextCommitSlowly = Atomic<Bool>(false)

/// Lets the COMMIT held by ``failNextCommitSlowly`` fail.
private let releaseSlowCommit = Atomic<Bool>(false)

/// A batch of adds is acknowledged once its frame is durable, before its SQLite COMMIT. When
/// that COMMIT then fails for a reason SQLite could not report earlier (a full disk, an I/O
/// error; here a commit hook that refuses it), the write stays acknowledged and in the log.
@Suite("Writer: a COMMIT that fails after the acknowledgement", .serialized)
struct WriterCommitFailureTests {
    /// Runs `body` on the read model's writer connection, between two group commits of the
    /// writer of `ledger`.
    static func onWriterConnection(
        of ledger: Ledger,
        _ body: @escaping @Sendable (Database) throws -> Void
    ) async throws {
        let writer = try #require(ledger.writer)
        let readModel = ledger.readModel
        try await writer.exclusive { _ in
            try readModel.pool.writeWithoutTransaction(body)
        }
    }

    /// Opens `store`, adds `first` to session "s", then makes the writer's COMMITs fail
    /// (``failCommits``, which the caller resets) and adds `second`: acknowledged as sequence
    /// number 2, its COMMIT failed. Each add commits on its own: a later add must not join the
    /// transaction whose COMMIT fails (it would be acknowledged with it, as WriterCoalescingTests
    /// show).
    /// With `once`, only that COMMIT fails, once ``releaseSlowCommit`` is set
    /// (``failNextCommitSlowly``).
    static func acknowledgeWithFailingCommit(
        _ store: TemporaryStore,
        logger: Logger? = nil,
        once: Bool = false
    ) async throws -> (ledger: Ledger, first: [SessionItem], second: [SessionItem]) {
        let ledger = try await store.open(durability: .fsync) { options in
            options.commitCoalescingWait = .zero
            if let logger {
                options.logger = logger
            }
        }
        let session = ledger.session("s")
        let first = [ItemFactory.user("committed")]
        try await session.addItems(first)
        if once {
            // Index it now, or the indexing the writer does after 50 ms idle could be the
            // COMMIT that fails.
            _ = try await session.search("committed")
        }
        try await installCommitHook(in: ledger)
        if once {
            failNextCommitSlowly.store(true, ordering: .releasing)
        } else {
            failCommits.store(true, ordering: .releasing)
        }
        let second = [ItemFactory.user("acknowledged, then its COMMIT failed")]
        #expect(try await session.append(second) == 2)
        return (ledger, first, second)
    }

    /// Expects a query of session "s" to find the store stopped (`writerFailed`: a COMMIT after
    /// an acknowledgement failed), then lets COMMITs succeed again (``failCommits``) and waits
    /// out the delay before the next call tries the catch-up again.
    static func expectStoppedThenClearTheCause(_ ledger: Ledger) async throws {
        let stopped = await ReliabilityHelpers.error { _ = try await ledger.session("s").items() }
        #expect(stopped?.code == .writerFailed, "\(String(describing: stopped))")
        failCommits.store(false, ordering: .releasing)
        try await Task.sleep(for: LedgerWriter.recoveryRetryDelay * 2)
    }

    /// Makes the writer connection of `ledger` fail its COMMITs while ``failCommits`` is set,
    /// and the next one after ``failNextCommitSlowly`` is set.
    static func installCommitHook(in ledger: Ledger) async throws {
        try await onWriterConnection(of: ledger) { db in
            _ = sqlite3_commit_hook(
                db.sqliteConnection,
                { _ in
                    if failNextCommitSlowly.exchange(false, ordering: .acquiringAndReleasing) {
                        let deadline = ContinuousClock.now + .seconds(10)
                        while !releaseSlowCommit.load(ordering: .acquiring) && ContinuousClock.now < deadline {
                            usleep(1_000)
                        }
                        return 1
                    }
                    return failCommits.load(ordering: .acquiring) ? 1 : 0
                },
                nil
            )
        }
    }

    /// Changes the read model of `ledger` behind its back: a trigger of its own refuses every
    /// item whose JSON says "refused".
    static func installForeignRefusal(in ledger: Ledger) async throws {
        try await onWriterConnection(of: ledger) { db in
            try db.execute(
                sql: """
                    CREATE TRIGGER foreign_refusal BEFORE INSERT ON item WHEN NEW.json LIKE '%refused%'
                    BEGIN SELECT RAISE(ABORT, 'refused by a foreign trigger'); END
                    """
            )
        }
    }

    @Test("the call succeeds, later writes and reads answer writerFailed, and the reopened store shows the write")
    func commitFailsAfterAcknowledgement() async throws {
        let store = try TemporaryStore(prefix: "commit-after-ack")
        defer { store.remove() }
        defer { failCommits.store(false, ordering: .releasing) }
        let (ledger, first, second) = try await Self.acknowledgeWithFailingCommit(store)
        let session = ledger.session("s")
        let refused = await ReliabilityHelpers.error { try await session.addItems([ItemFactory.user("refused")]) }
        #expect(refused?.code == .writerFailed, "\(String(describing: refused))")
        let reading = await ReliabilityHelpers.error { _ = try await session.items() }
        #expect(reading?.code == .writerFailed, "\(String(describing: reading))")
        #expect(reading?.message.contains("reopen the store") == true, "\(String(describing: reading))")
        let verifying = await ReliabilityHelpers.error { _ = try await ledger.verifyReadModel() }
        #expect(verifying?.code == .writerFailed, "\(String(describing: verifying))")
        failCommits.store(false, ordering: .releasing)
        try await ledger.close()

        let reopened = try await store.open(durability: .fsync)
        #expect(try await reopened.session("s").items() == first + second)
        #expect(try await reopened.headSequence() == 2)
        #expect(try await reopened.verifyReadModel() == [])
        try await reopened.session("s").addItems([ItemFactory.user("writable again")])
        try await reopened.close()
    }

    @Test("the log's first frame, acknowledged and its COMMIT failed: the recovery records the log's identity")
    func firstFrameCommitFails() async throws {
        let store = try TemporaryStore(prefix: "commit-first-frame")
        defer { store.remove() }
        defer { failCommits.store(false, ordering: .releasing) }
        let ledger = try await store.open(durability: .fsync) { $0.commitCoalescingWait = .zero }
        try await Self.installCommitHook(in: ledger)
        failCommits.store(true, ordering: .releasing)
        // The transaction that fails is the one that recorded the identity with frame 1.
        #expect(try await ledger.session("s").append([ItemFactory.user("first")]) == 1)
        try await Self.expectStoppedThenClearTheCause(ledger)
        try await ledger.session("s").addItems([ItemFactory.user("second")])
        // An add returns once durable, before its COMMIT; a query of the ledger waits for it.
        #expect(try await ledger.session("s").items().count == 2)
        // Recovered, and the model proves the log's events durable again, before any close.
        let model = try ReadModel.open(path: store.path + "/views.sqlite", readOnly: true, readerCount: 1)
        let identity = try model.status().logIdentity
        try model.close()
        #expect(identity != nil)
        #expect(identity == (try LogIdentity.read(directory: store.path, fileSystem: SystemFileSystem())))
        #expect(DurableThrough.sequence(directory: store.path, options: LedgerOptions()) == 2)
        try await ledger.close()
    }

    /// What comes first after the cause of a failed COMMIT is gone.
    enum NextCall: CaseIterable, Sendable {
        case read, write, search, verify
    }

    @Test(
        "once the cause is gone, the next query, write, search or verification catches the read model up from the log and the store goes on without a reopen",
        arguments: NextCall.allCases
    )
    func recoversOnceTheCauseIsGone(next: NextCall) async throws {
        let store = try TemporaryStore(prefix: "commit-recovers")
        defer { store.remove() }
        defer { failCommits.store(false, ordering: .releasing) }
        let (ledger, first, second) = try await Self.acknowledgeWithFailingCommit(store)
        let session = ledger.session("s")

        // While the COMMITs still fail, so does the catch-up each query and write tries first.
        let reading = await ReliabilityHelpers.error { _ = try await session.items() }
        #expect(reading?.code == .writerFailed, "\(String(describing: reading))")
        #expect(
            reading?.message.contains("catching the read model up from the log failed") == true,
            "\(String(describing: reading))"
        )
        let writing = await ReliabilityHelpers.error { try await session.addItems([ItemFactory.user("refused")]) }
        #expect(writing?.code == .writerFailed, "\(String(describing: writing))")

        failCommits.store(false, ordering: .releasing)
        // Calls right after a failed catch-up get its error without trying again.
        try await Task.sleep(for: LedgerWriter.recoveryRetryDelay * 2)
        var expected = first + second
        switch next {
        case .read:
            #expect(try await session.items() == expected)
        case .write:
            let third = [ItemFactory.user("after the catch-up")]
            #expect(try await session.append(third) == 3)
            expected += third
        case .search:
            // The item the catch-up applied is indexed for the search that triggered it.
            #expect(try await session.search("acknowledged").map(\.sequence) == [2])
        case .verify:
            #expect(try await ledger.verifyReadModel() == [])
        }
        #expect(try await session.items() == expected)
        #expect(try await session.search("acknowledged").map(\.sequence) == [2])
        #expect(try await ledger.headSequence() == UInt64(expected.count))
        #expect(try await ledger.verifyReadModel() == [])
        try await session.addItems([ItemFactory.user("and on")])
        expected += [ItemFactory.user("and on")]
        try await ledger.close()

        let reopened = try await store.open(durability: .fsync)
        #expect(try await reopened.session("s").items() == expected)
        #expect(try await reopened.verifyReadModel() == [])
        try await reopened.close()
    }

    @Test(
        "a query cancelled while it waits for the catch-up of a stopped store throws cancelled at once, not when the writer gets to it; the catch-up still runs",
        .timeLimit(.minutes(10))
    )
    func cancelledWhileWaitingForTheCatchUp() async throws {
        let store = try TemporaryStore(prefix: "commit-cancelled-catch-up")
        defer { store.remove() }
        defer { failCommits.store(false, ordering: .releasing) }
        let (ledger, first, second) = try await Self.acknowledgeWithFailingCommit(store)
        let session = ledger.session("s")
        // The failure is recorded once the COMMIT after the acknowledgement has failed.
        try await Self.expectStoppedThenClearTheCause(ledger)

        // The writer thread is held (as by a long fsync): the query's catch-up queues behind it.
        let writer = try #require(ledger.writer)
        let hold = DispatchSemaphore(value: 0)
        let holding = Task { try await writer.exclusive { _ in hold.wait() } }
        let query = Task { try await session.items() }
        while writer.queuedExclusiveCount == 0 {
            try await Task.sleep(for: .milliseconds(1))
        }
        query.cancel()
        let outcome = try await WriterCoalescingTests.within(seconds: 300) { await query.result }
        hold.signal()
        try await holding.value
        let answer = try #require(outcome, "the cancelled query waited for the writer")
        let error = try #require(throws: LedgerError.self) { try answer.get() }
        #expect(error.code == .cancelled, "\(error)")
        #expect(try await session.items() == first + second)
        #expect(try await ledger.verifyReadModel() == [])
        try await ledger.close()
    }

    @Test("callers that meet a stopped store at once share one catch-up, and every one of them succeeds")
    func concurrentCallersShareOneCatchUp() async throws {
        let store = try TemporaryStore(prefix: "commit-recovers-together")
        defer { store.remove() }
        defer { failCommits.store(false, ordering: .releasing) }
        let capture = ReliabilityLogCapture()
        let (ledger, first, second) = try await Self.acknowledgeWithFailingCommit(store, logger: capture.logger)
        // The failure is recorded once the COMMIT after the acknowledgement has failed.
        try await Self.expectStoppedThenClearTheCause(ledger)

        let added = try await withThrowingTaskGroup(of: Int.self) { group in
            for caller in 0..<12 {
                group.addTask {
                    let session = ledger.session("c\(caller)")
                    if caller % 2 == 0 {
                        try await session.addItems([ItemFactory.user("caller \(caller)")])
                        return 1
                    }
                    #expect(try await ledger.session("s").items() == first + second)
                    return 0
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(added == 6)
        let catchUps = capture.messages.filter { $0.contains("the read model caught up from the log") }
        #expect(catchUps.count == 1, "\(capture.messages)")
        #expect(try await ledger.headSequence() == 8)
        #expect(try await ledger.verifyReadModel() == [])
        try await ledger.close()
    }

    @Test("calls queued behind the COMMIT that fails are queued again once the read model caught up, and succeed")
    func callsQueuedBeforeTheFailureSucceed() async throws {
        let store = try TemporaryStore(prefix: "commit-requeues")
        defer { store.remove() }
        defer {
            failNextCommitSlowly.store(false, ordering: .releasing)
            releaseSlowCommit.store(false, ordering: .releasing)
        }
        releaseSlowCommit.store(false, ordering: .releasing)
        let capture = ReliabilityLogCapture()
        let (ledger, first, second) = try await Self.acknowledgeWithFailingCommit(
            store,
            logger: capture.logger,
            once: true
        )
        // The COMMIT of the acknowledged add now waits in the hook: these calls queue behind
        // it, and it fails only once all six are queued, before the writer takes them.
        let writer = try #require(ledger.writer)
        let sequences = try await withThrowingTaskGroup(of: UInt64?.self) { group in
            for caller in 0..<6 {
                group.addTask { try await ledger.session("q\(caller)").append([ItemFactory.user("queued \(caller)")]) }
            }
            let deadline = ContinuousClock.now + .seconds(10)
            while writer.queuedRequestCount < 6 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(1))
            }
            #expect(writer.queuedRequestCount == 6)
            releaseSlowCommit.store(true, ordering: .releasing)
            return try await group.reduce(into: Set<UInt64?>()) { $0.insert($1) }
        }
        #expect(sequences == Set((3...8).map { UInt64?.some($0) }))
        #expect(
            capture.messages.filter { $0.contains("the read model could not take acknowledged writes") }.count == 1,
            "\(capture.messages)"
        )
        #expect(
            capture.messages.filter { $0.contains("the read model caught up from the log") }.count == 1,
            "\(capture.messages)"
        )
        #expect(try await ledger.session("s").items() == first + second)
        #expect(try await ledger.session("q5").items() == [ItemFactory.user("queued 5")])
        #expect(try await ledger.verifyReadModel() == [])
        try await ledger.close()
    }

    @Test(
        "a read model changed behind the ledger's back (a trigger of its own) that refuses an awaited add: the add is durable and succeeds, and the next write rebuilds the read model from the log, without the trigger, and goes on without a reopen"
    )
    func foreignTriggerRefusesAnAcknowledgedAdd() async throws {
        let store = try TemporaryStore(prefix: "foreign-trigger")
        defer { store.remove() }
        let capture = ReliabilityLogCapture()
        let ledger = try await store.open(durability: .fsync) { $0.logger = capture.logger }
        let session = ledger.session("s")
        let first = [ItemFactory.user("committed")]
        try await session.addItems(first)
        try await Self.installForeignRefusal(in: ledger)

        // Only the embedded migrations shape this read model, so the writer acknowledges the
        // add once it is durable, before SQLite sees it.
        let second = [ItemFactory.user("refused by the read model, safe in the log")]
        let sequence = try await session.append(second)
        #expect(sequence == 2)
        // The next write meets the stopped store: the catch-up the trigger refuses again is
        // replaced by a rebuild, which has no trigger, and the write goes through.
        let third = [ItemFactory.user("refused no more: the rebuilt read model has no foreign trigger")]
        #expect(try await session.append(third) == 3)
        #expect(capture.messages.contains { $0.contains("SQLite refused to catch it up") }, "\(capture.messages)")
        #expect(try await session.items() == first + second + third)
        #expect(try await session.search("refused").map(\.sequence) == [2, 3])
        let triggers = try await ledger.read { db in
            try Int.fetchOne(
                db,
                sql: "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = 'foreign_refusal'"
            )
        }
        #expect(triggers == 0)
        #expect(try await ledger.verifyReadModel() == [])
        try await ledger.close()

        let reopened = try await store.open(durability: .fsync)
        #expect(try await reopened.session("s").items() == first + second + third)
        #expect(try await reopened.headSequence() == 3)
        #expect(try await reopened.verifyReadModel() == [])
        try await reopened.close()
    }

    @Test(
        "a rebuild that cannot succeed (an older frame damaged) is tried once: later calls get its error without another replay of the log, the live read model is unchanged, and rebuildViews() tries again"
    )
    func failedRebuildIsNotRepeated() async throws {
        let store = try TemporaryStore(prefix: "foreign-trigger-damaged")
        defer { store.remove() }
        let capture = ReliabilityLogCapture()
        let ledger = try await store.open(durability: .fsync) { $0.logger = capture.logger }
        let session = ledger.session("s")
        let kept = (0..<5).map { ItemFactory.user("kept \($0)") }
        for item in kept {
            try await session.addItems([item])
        }
        try await Self.installForeignRefusal(in: ledger)
        let refused = [ItemFactory.user("refused by the read model, safe in the log")]
        #expect(try await session.append(refused) == 6)
        // The first frame's payload damaged: the catch-up (from event 6) does not read it, the
        // rebuild that replaces it does.
        let segment = store.path + "/log/" + SegmentFileName.name(forBase: 1)
        let intact = try LogFileBytes.read(segment)
        var damaged = intact
        damaged[SegmentHeader.byteCount + FrameHeader.byteCount + 4] ^= 0xFF
        try LogFileBytes.write(damaged, to: segment)

        let first = await ReliabilityHelpers.error { _ = try await session.items() }
        #expect(first?.code == .writerFailed, "\(String(describing: first))")
        #expect(
            first?.message.contains("the rebuild is not tried again on its own") == true,
            "\(String(describing: first))"
        )
        try await Task.sleep(for: LedgerWriter.recoveryRetryDelay * 2)
        let second = await ReliabilityHelpers.error { try await session.addItems([ItemFactory.user("later")]) }
        #expect(
            second?.message.contains("rebuilding it from the log failed already") == true,
            "\(String(describing: second))"
        )
        #expect(
            capture.messages.filter { $0.contains("SQLite refused to catch it up") }.count == 1,
            "\(capture.messages)"
        )
        #expect(
            try RebuildTests.sqlite(
                store.path + "/views.sqlite",
                "SELECT value FROM ledger_meta WHERE key = 'last_applied_seq'"
            )
                == "5"
        )

        // Once the frame is whole again, rebuildViews() rebuilds, and the store goes on.
        try LogFileBytes.write(intact, to: segment)
        try await ledger.rebuildViews()
        #expect(try await session.items() == kept + refused)
        try await session.addItems([ItemFactory.user("and on")])
        #expect(try await session.items().count == 7)
        #expect(try await ledger.verifyReadModel() == [])
        try await ledger.close()
    }

    @Test(
        "a catch-up SQLite refuses is rebuilt only for the read model's own faults, not for a busy database, a full disk or I/O"
    )
    func refusedCatchUpClassification() {
        let cured: [ResultCode] = [
            .SQLITE_CONSTRAINT, .SQLITE_CONSTRAINT_TRIGGER, .SQLITE_ERROR, .SQLITE_CORRUPT, .SQLITE_NOTADB,
            .SQLITE_MISMATCH, .SQLITE_SCHEMA,
        ]
        for code in cured {
            #expect(ReadModelBuilder.rebuildCures(DatabaseError(resultCode: code)), "\(code)")
        }
        let reported: [ResultCode] = [
            .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_FULL, .SQLITE_IOERR, .SQLITE_IOERR_WRITE, .SQLITE_READONLY,
            .SQLITE_NOMEM, .SQLITE_TOOBIG, .SQLITE_CANTOPEN, .SQLITE_INTERRUPT, .SQLITE_CONSTRAINT_COMMITHOOK,
        ]
        for code in reported {
            #expect(!ReadModelBuilder.rebuildCures(DatabaseError(resultCode: code)), "\(code)")
        }
    }
}
