import AgentLedgerTestSupport
import Foundation
import GRDB
import GRDBSQLite
import Synchronization
import Testing

@testable import AgentLedger

/// COMMITs of the writer connection that inserted item rows, counted by the hooks of
/// ``WriterCoalescingTests/limitHoldsWhileAddsAreQueued()`` (the writer's other transactions,
/// such as full-text indexing when idle, do not count).
private let itemCommits = Atomic<Int>(0)
/// Whether the open transaction of the writer connection has inserted an item row.
private let insertedItem = Atomic<Bool>(false)

/// The continuation of ``WriterCoalescingTests/within(seconds:_:)``, resumed by whichever
/// comes first: the body or the timeout.
private final class Pending<T: Sendable>: Sendable {
    let continuation: Mutex<CheckedContinuation<T?, any Error>?>

    init(_ continuation: CheckedContinuation<T?, any Error>) {
        self.continuation = Mutex(continuation)
    }

    /// Resumes the continuation unless it has been resumed already.
    func resume(with result: Result<T?, any Error>) {
        continuation.withLock { $0.take() }?.resume(with: result)
    }
}

/// After acknowledging a lone caller's adds, the writer keeps the read model's transaction open
/// for that caller's next add (``LedgerOptions/commitCoalescingWait``). These tests make the
/// wait and the transaction's limit 10 minutes, so that only what must end the transaction (a
/// query of the ledger, another kind of command, a failure) ends it within a test. Each test
/// has 5 minutes, and a call that must end the transaction 300 s (``within(seconds:_:)``): well
/// short of those 10 minutes, and long enough for a machine busy with the whole suite, where
/// the ten fsynced adds of one test took more than a minute.
@Suite("Writer: one read-model transaction for a lone caller's consecutive adds", .serialized)
struct WriterCoalescingTests {
    static func open(
        _ store: TemporaryStore,
        extraMigrations: [(name: String, sql: String)] = []
    ) async throws -> Ledger {
        try await store.open(durability: .fsync) { options in
            options.commitCoalescingWait = .seconds(600)
            options.transactionOpenLimit = .seconds(600)
            options.extraMigrations = extraMigrations
        }
    }

    /// What `body` returns, or nil when it has not returned within `seconds` (it is left
    /// running): a writer that never ends its transaction fails the test instead of hanging it.
    static func within<T: Sendable>(
        seconds: Int,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T? {
        return try await withCheckedThrowingContinuation { continuation in
            let pending = Pending(continuation)
            Task {
                do {
                    pending.resume(with: .success(try await body()))
                } catch {
                    pending.resume(with: .failure(error))
                }
            }
            Task {
                try? await Task.sleep(for: .seconds(seconds))
                pending.resume(with: .success(nil))
            }
        }
    }

    /// Item rows committed to the read model, as another connection sees them.
    /// An extra migration whose trigger refuses every item whose JSON says "poison", with
    /// `RAISE(<raising>)`.
    static func poison(name: String, raising: String) -> [(name: String, sql: String)] {
        [
            (
                name: name,
                sql: """
                CREATE TRIGGER poison BEFORE INSERT ON item WHEN NEW.json LIKE '%poison%'
                BEGIN SELECT RAISE(\(raising)); END;
                """
            )
        ]
    }

    static func committedItemCount(_ store: TemporaryStore) throws -> Int {
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: store.path + "/views.sqlite", configuration: configuration)
        return try queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM item") ?? -1 }
    }

    @Test(
        "ten awaited adds share one transaction that other connections do not see yet, and a query commits it at once",
        .timeLimit(.minutes(5))
    )
    func addsShareATransactionUntilAQuery() async throws {
        let store = try TemporaryStore(prefix: "coalescing")
        defer { store.remove() }
        let ledger = try await Self.open(store)
        let session = ledger.session("s")
        let items = (1...10).map { ItemFactory.user("message \($0)") }
        for item in items {
            try await session.addItems([item])
        }
        #expect(try Self.committedItemCount(store) == 0, "the ten adds are acknowledged and still uncommitted")
        // Against a 10-minute wait, the query must end the transaction itself.
        let read = try await Self.within(seconds: 300) { try await session.items() }
        #expect(read == items, "the query waited for the coalescing wait instead of committing the transaction")
        #expect(try Self.committedItemCount(store) == items.count)
        try await ledger.close()
    }

    @Test(
        "one transaction takes at most batchesPerTransaction group commits: of 70 awaited adds, the first 64 are committed without a query",
        .timeLimit(.minutes(5))
    )
    func transactionTakesAtMostSoManyGroupCommits() async throws {
        let store = try TemporaryStore(prefix: "coalescing-cap")
        defer { store.remove() }
        let ledger = try await Self.open(store)
        let session = ledger.session("s")
        #expect(LedgerWriter.batchesPerTransaction == 64)
        for index in 1...70 {
            try await session.addItems([ItemFactory.user("message \(index)")])
        }
        #expect(try Self.committedItemCount(store) == LedgerWriter.batchesPerTransaction)
        #expect(try await session.items().count == 70)
        try await ledger.close()
    }

    @Test(
        "one caller's adds and usage records, pops, branches and switches, each awaited, end as the model says",
        .timeLimit(.minutes(5))
    )
    func mixedCommandsMatchTheModel() async throws {
        let store = try TemporaryStore(prefix: "coalescing-mixed")
        defer { store.remove() }
        let ledger = try await Self.open(store)
        let steps = WriterOverlapTests.script(session: 0)
        try await WriterOverlapTests.run(steps, on: ledger.session("s"))
        let expected = try WriterOverlapTests.model(steps)
        let actual = try await SessionModel.Snapshot.capture(ledger.session("s"))
        #expect(actual.differences(from: expected) == [])
        #expect(try await ledger.verifyReadModel() == [])
        try await ledger.close()
    }

    @Test(
        "an add that fails in SQLite after two acknowledged adds of the same transaction fails alone: it leaves the log and the read model, they are committed, and the next add recovers the log in place and succeeds",
        .timeLimit(.minutes(5))
    )
    func failureAfterAcknowledgedAdds() async throws {
        let store = try TemporaryStore(prefix: "coalescing-failure")
        defer { store.remove() }
        let poison = Self.poison(name: "9200_poison", raising: "ABORT, 'poisoned item'")
        let ledger = try await Self.open(store, extraMigrations: poison)
        let session = ledger.session("s")
        let kept = [ItemFactory.user("first"), ItemFactory.user("second")]
        for item in kept {
            try await session.addItems([item])
        }
        #expect(try Self.committedItemCount(store) == 0, "the two adds share the transaction the next one joins")
        let failed = await ReliabilityHelpers.error { try await session.addItems([ItemFactory.user("poison")]) }
        #expect(failed?.code == .sqlite, "\(String(describing: failed))")
        #expect(failed?.message.contains("poisoned item") == true, "\(String(describing: failed))")
        #expect(try Self.committedItemCount(store) == kept.count, "the acknowledged adds were committed")
        // The failed add's frame was cut, which stops the log; the next add recovers it in place.
        let next = ItemFactory.user("after the failure")
        #expect(try await session.append([next]) == 3)
        let read = try await Self.within(seconds: 300) { try await session.items() }
        #expect(read == kept + [next], "the acknowledged adds were committed without the failed one")
        try await ledger.close()

        let reopened = try await Self.open(store, extraMigrations: poison)
        #expect(try await reopened.session("s").items() == kept + [next])
        #expect(try await reopened.headSequence() == 3)
        #expect(try await reopened.verifyReadModel() == [])
        try await reopened.close()
        let log = try await Ledger.verifyLog(at: store.path)
        #expect(log.problems.isEmpty, "\(log.problems)")
        #expect(log.eventCount == 3)
    }

    @Test(
        "with only the embedded migrations, an add whose rows the read model refuses after its acknowledgement (a foreign trigger) succeeds and fails the whole transaction: the adds before it stay in the log, and the next write rebuilds the read model from the log (without the trigger) and goes through, as the reopened store shows",
        .timeLimit(.minutes(5))
    )
    func refusalAfterAcknowledgementFailsTheTransaction() async throws {
        let store = try TemporaryStore(prefix: "coalescing-late-refusal")
        defer { store.remove() }
        let ledger = try await Self.open(store)
        try await WriterCommitFailureTests.installForeignRefusal(in: ledger)
        let session = ledger.session("s")
        let items = [ItemFactory.user("first"), ItemFactory.user("second"), ItemFactory.user("refused, yet durable")]
        for item in items {
            try await session.addItems([item])
        }
        #expect(try Self.committedItemCount(store) == 0, "nothing was committed: the first two were rolled back too")
        let later = [ItemFactory.user("later: the rebuilt read model has no foreign trigger")]
        let sequence = try await Self.within(seconds: 300) { try await session.append(later) }
        #expect(sequence == 4)
        #expect(try await session.items() == items + later)
        #expect(try await ledger.verifyReadModel() == [])
        try await ledger.close()

        let reopened = try await Self.open(store)
        #expect(try await reopened.session("s").items() == items + later)
        #expect(try await reopened.headSequence() == 4)
        #expect(try await reopened.verifyReadModel() == [])
        try await reopened.close()
    }

    @Test(
        "an add whose trigger makes SQLite roll back the whole transaction fails with its own error; the adds acknowledged before it stay in the log, and the next query recovers the log in place and shows them, as the reopened store does",
        .timeLimit(.minutes(5))
    )
    func failureThatRollsBackTheTransaction() async throws {
        let store = try TemporaryStore(prefix: "coalescing-rollback")
        defer { store.remove() }
        let poison = Self.poison(name: "9201_poison_rollback", raising: "ROLLBACK, 'poisoned transaction'")
        let ledger = try await Self.open(store, extraMigrations: poison)
        let session = ledger.session("s")
        let kept = [ItemFactory.user("first"), ItemFactory.user("second")]
        for item in kept {
            try await session.addItems([item])
        }
        let failed = await ReliabilityHelpers.error { try await session.addItems([ItemFactory.user("poison")]) }
        #expect(failed?.message.contains("poisoned transaction") == true, "\(String(describing: failed))")
        #expect(try Self.committedItemCount(store) == 0, "SQLite rolled the acknowledged adds back too")
        let read = try await Self.within(seconds: 300) { try await session.items() }
        #expect(read == kept, "caught up from the log")
        try await ledger.close()

        let reopened = try await Self.open(store, extraMigrations: poison)
        #expect(try await reopened.session("s").items() == kept)
        #expect(try await reopened.headSequence() == 2)
        try await reopened.close()
    }

    @Test(
        "the transaction's time limit holds while adds keep coming: an add queued during another's fsync, past the limit, gets its own COMMIT",
        .timeLimit(.minutes(5))
    )
    func limitHoldsWhileAddsAreQueued() async throws {
        let store = try TemporaryStore(prefix: "coalescing-limit")
        defer { store.remove() }
        let fileSystem = GatedSyncFileSystem()
        let ledger = try await store.open(durability: .fsync) { options in
            options.commitCoalescingWait = .seconds(600)
            options.transactionOpenLimit = .zero
            options.fileSystem = fileSystem
        }
        let writer = try #require(ledger.writer)
        let readModel = ledger.readModel
        try await writer.exclusive { _ in
            readModel.pool.writeWithoutTransaction { db in
                _ = sqlite3_update_hook(
                    db.sqliteConnection,
                    { _, operation, _, table, _ in
                        if operation == SQLITE_INSERT, let table, strcmp(table, "item") == 0 {
                            insertedItem.store(true, ordering: .relaxed)
                        }
                    },
                    nil
                )
                _ = sqlite3_commit_hook(
                    db.sqliteConnection,
                    { _ in
                        if insertedItem.exchange(false, ordering: .relaxed) {
                            itemCommits.add(1, ordering: .relaxed)
                        }
                        return 0
                    },
                    nil
                )
                _ = sqlite3_rollback_hook(
                    db.sqliteConnection,
                    { _ in insertedItem.store(false, ordering: .relaxed) },
                    nil
                )
            }
        }
        itemCommits.store(0, ordering: .releasing)
        fileSystem.arm()
        let first = Task { try await ledger.session("a").addItems([ItemFactory.user("first")]) }
        while fileSystem.waitedCount == 0 {
            try await Task.sleep(for: .milliseconds(1))
        }
        let second = Task { try await ledger.session("b").addItems([ItemFactory.user("second")]) }
        while writer.queuedRequestCount == 0 {
            try await Task.sleep(for: .milliseconds(1))
        }
        fileSystem.open()
        try await first.value
        try await second.value
        #expect(try await ledger.session("b").items() == [ItemFactory.user("second")])
        #expect(itemCommits.load(ordering: .acquiring) == 2, "one COMMIT per group commit once the limit has passed")
        try await ledger.close()
    }
}
