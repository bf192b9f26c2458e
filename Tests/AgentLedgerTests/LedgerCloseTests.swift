import AgentLedgerTestSupport
import Foundation
import GRDB
import GRDBSQLite
import Testing

@testable import AgentLedger

@Suite("Closing, cancelling, and calls around them")
struct LedgerCloseTests {
    @Test("a close called while another runs returns once that one has finished: the store opens again at once")
    func concurrentClose() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        for _ in 0..<3 {
            let ledger = try await store.open()
            let big = ItemFactory.user(String(repeating: "x", count: 2 << 20))
            let writes = Task { try await ledger.session("s").addItems(Array(repeating: big, count: 8)) }
            let first = Task { try await ledger.close() }
            // Once the first close has begun, calls say closed.
            while (try? await ledger.headSequence()) != nil {
                await Task.yield()
            }
            try await ledger.close()
            let again = try await store.open()
            try await again.close()
            try await first.value
            _ = try? await writes.value
        }
    }

    @Test("after close every call throws closed, whatever its arguments")
    func closedFirst() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let ledger = try await store.open()
        try await ledger.close()
        for operation in [
            { _ = try await ledger.importEvents([]) },
            { _ = try await ledger.session("").items() },
            { _ = try await ledger.session("s").items(branch: "") },
            { _ = try await ledger.session("s").items(limit: -1) },
            { _ = try await ledger.session("s", settings: SessionSettings(limit: -1)).items() },
            { _ = try await ledger.search(" ") },
            { _ = try await ledger.search("x", limit: 0) },
            { _ = try await ledger.session("s").search("") },
            { _ = try await ledger.session("s").search("x", limit: -1) },
            { _ = try await ledger.session("s").recordUsage(RunUsage(requests: 1, detailsJSON: "{")) },
        ] as [@Sendable () async throws -> Void] {
            let error = try await #require(throws: LedgerError.self) { try await operation() }
            #expect(error.code == .closed, "\(error)")
        }
    }

    @Test("reads racing a close answer or throw closed, never another error")
    func readsRacingClose() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        for _ in 0..<5 {
            let ledger = try await store.open()
            try await ledger.session("s").addItems((0..<50).map { ItemFactory.user("item \($0)") })
            let codes = await withTaskGroup(of: LedgerError.Code?.self) { group in
                for index in 0..<40 {
                    group.addTask {
                        do {
                            if index == 20 {
                                try await ledger.close()
                            } else {
                                _ = try await ledger.session("s").items(limit: 10)
                                _ = try await ledger.session("s").listBranches()
                            }
                            return nil
                        } catch let error as LedgerError {
                            return error.code
                        } catch {
                            return LedgerError.Code.io  // any other error type is a failure too
                        }
                    }
                }
                var codes: [LedgerError.Code] = []
                for await code in group {
                    if let code {
                        codes.append(code)
                    }
                }
                return codes
            }
            #expect(codes.allSatisfy { $0 == .closed }, "\(codes)")
            try await ledger.close()
        }
    }

    @Test("closes of several ledgers with queries in flight leave the cooperative pool free: none hangs")
    func closesBesideQueries() async throws {
        // One ledger per thread of the cooperative pool (as wide as the machine has cores): a
        // close that blocked a pool thread until the queries in flight end would hold them all,
        // and those queries' tasks could never resume to end.
        let count = max(2, ProcessInfo.processInfo.activeProcessorCount)
        let stores = try (0..<count).map { _ in try TemporaryStore() }
        defer {
            for store in stores {
                store.remove()
            }
        }
        var opened: [Ledger] = []
        for store in stores {
            let writer = try await store.open()
            try await writer.session("s").addItems([ItemFactory.user("one")])
            try await writer.close()
            // Read-only: its close goes straight to the read model, no writer to wait for first,
            // so the closes are queued on the pool before the task below.
            opened.append(try await store.open { $0.readOnly = true })
        }
        let ledgers = opened
        let started = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let queries = ledgers.map { ledger in
            Task {
                try await ledger.read { _ in
                    started.signal()
                    release.wait()
                }
            }
        }
        await withCheckedContinuation { continuation in
            Thread {
                for _ in 0..<count {
                    started.wait()
                }
                continuation.resume()
            }.start()
        }
        // On a thread of its own, outside the pool: once every close has begun, a task queued
        // behind them must run, and then, the queries let go, the closes must return. Were the
        // closes holding every pool thread, nothing could end them (the queries' tasks need the
        // pool to give their connections back): this ends the process with a message rather
        // than hang the suite.
        let done = DispatchSemaphore(value: 0)
        Thread {
            for ledger in ledgers {
                while (try? ledger.checkOpen()) != nil {
                    sched_yield()
                }
            }
            let ran = DispatchSemaphore(value: 0)
            Task.detached(priority: .background) { ran.signal() }
            let queued = ran.wait(timeout: .now() + 120)
            for _ in 0..<count {
                release.signal()
            }
            if queued == .timedOut || done.wait(timeout: .now() + 120) == .timedOut {
                fatalError("closes with queries in flight held every thread of the cooperative pool: deadlock")
            }
        }.start()
        let closes = ledgers.map { ledger in Task { try await ledger.close() } }
        for query in queries {
            // Released as the closes begin, a query may still be running its COMMIT when its
            // close interrupts the statements in flight: then it throws closed.
            do {
                try await query.value
            } catch let error as LedgerError where error.code == .closed {}
        }
        for close in closes {
            try await close.value
        }
        done.signal()
        // Closed for good: the stores open again.
        for store in stores {
            try await store.open().close()
        }
    }

    @Test(
        "a cancelled query waiting for the writer's commit throws cancelled while the fsync in flight hangs",
        .timeLimit(.minutes(10))
    )
    func cancelledWhileWaitingForTheCommit() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let fileSystem = GatedSyncFileSystem()
        // The writer keeps its transaction open for the next add (as WriterCoalescingTests do),
        // so an acknowledged add is not committed yet, and a query waits for the COMMIT, which
        // comes after the group commit in flight: one whose fsync hangs (a stalled disk).
        let ledger = try await store.open(durability: .fsync) { options in
            options.fileSystem = fileSystem
            options.commitCoalescingWait = .seconds(600)
            options.transactionOpenLimit = .seconds(600)
        }
        let writer = try #require(ledger.writer)
        let session = try await Self.cancelWhileTheFsyncHangs(ledger, fileSystem) {
            writer.applied.hasWaiters
        } call: { session in
            try await session.items()
        }
        #expect(try await session.items() == [ItemFactory.user("first"), ItemFactory.user("second")])
        try await ledger.close()
    }

    @Test(
        "a cancelled search waiting for the writer to index throws cancelled while the fsync in flight hangs",
        .timeLimit(.minutes(10))
    )
    func searchCancelledWhileTheWriterSyncs() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let fileSystem = GatedSyncFileSystem()
        let ledger = try await store.open(durability: .fsync) { $0.fileSystem = fileSystem }
        let writer = try #require(ledger.writer)
        // A search first has the writer index what it has not yet: it waits for the writer,
        // which waits for the fsync (a stalled disk).
        let session = try await Self.cancelWhileTheFsyncHangs(ledger, fileSystem) {
            writer.queuedExclusiveCount > 0
        } call: { session in
            try await session.search("first")
        }
        #expect(try await session.search("second").map(\.item) == [ItemFactory.user("second")])
        try await ledger.close()
    }

    /// Adds an item to session `s`, then holds the fsync of a second add; starts `call`, cancels
    /// it once `waiting` says it waits for the writer, and expects `cancelled` before the fsync
    /// is let go (not within minutes: it waited for the fsync). Returns the session once the
    /// held add is answered too.
    private static func cancelWhileTheFsyncHangs<T: Sendable>(
        _ ledger: Ledger,
        _ fileSystem: GatedSyncFileSystem,
        waiting: () -> Bool,
        call: @escaping @Sendable (LedgerSession) async throws -> T
    ) async throws -> LedgerSession {
        let session = ledger.session("s")
        try await session.addItems([ItemFactory.user("first")])
        fileSystem.arm()
        let second = Task { try await session.addItems([ItemFactory.user("second")]) }
        while fileSystem.waitedCount == 0 {
            try await Task.sleep(for: .milliseconds(1))
        }
        let query = Task { try await call(session) }
        while !waiting() {
            try await Task.sleep(for: .milliseconds(1))
        }
        query.cancel()
        let outcome = try await WriterCoalescingTests.within(seconds: 300) { await query.result }
        fileSystem.open()
        let answer = try #require(outcome, "the cancelled call waited for the hanging fsync")
        let error = try #require(throws: LedgerError.self) { try answer.get() }
        #expect(error.code == .cancelled, "\(error)")
        try await second.value
        return session
    }

    /// A statement that never ends unless interrupted.
    static let endless = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c"

    /// Steps ``endless`` as `ReadModel.items` steps its statement, through SQLite's C API with
    /// each failure made into SQLite's error, signalling `started` after its first row: only
    /// once the statement runs does `sqlite3_interrupt` (a cancellation, a close) reach it.
    static func stepEndlessly(_ db: Database, signalling started: DispatchSemaphore) throws -> Int {
        let statement = try db.makeStatement(sql: endless)
        let handle = statement.sqliteStatement
        defer { sqlite3_reset(handle) }
        var rows = 0
        while true {
            let code = sqlite3_step(handle)
            guard code == SQLITE_ROW else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "stepped")
            }
            rows += 1
            if rows == 1 {
                started.signal()
            }
        }
    }

    @Test("close interrupts the queries running SQL, which throw closed, instead of waiting for them to end")
    func closeInterruptsRunningQueries() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let ledger = try await store.open()
        try await ledger.session("s").addItems([ItemFactory.user("one")])
        let started = DispatchSemaphore(value: 0)
        // Two statements that never end unless interrupted, on the two read connections: one
        // stepped through GRDB's cursor, one through SQLite's C API as `ReadModel.items` does.
        let queries = [
            Task {
                try await ledger.read { db -> Int in
                    let rows = try Int.fetchCursor(db, sql: Self.endless)
                    var count = 0
                    while try rows.next() != nil {
                        count += 1
                        // Only once the statement runs: `sqlite3_interrupt` on a connection with
                        // no statement running has no effect.
                        if count == 1 {
                            started.signal()
                        }
                    }
                    return count
                }
            },
            Task {
                try await ledger.read { db in try Self.stepEndlessly(db, signalling: started) }
            },
        ]
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                started.wait()
                started.wait()
                continuation.resume()
            }
        }
        // Without the interrupt the close waits for the queries forever: end the process with
        // a message rather than hang the suite.
        let done = DispatchSemaphore(value: 0)
        Thread {
            if done.wait(timeout: .now() + 120) == .timedOut {
                fatalError("close waited for the queries in flight, which never end")
            }
        }.start()
        try await ledger.close()
        done.signal()
        for query in queries {
            let error = try await #require(throws: LedgerError.self) { try await query.value }
            #expect(error.code == .closed, "\(error)")
        }
        // Still a clean close: the interrupt did not stop the checkpoint that empties the WAL.
        #expect(Ledger.fileSize(store.path + "/" + ReadModel.fileName + "-wal") == 0)
        // Closed for good: the store opens again, with its item.
        let reopened = try await store.open()
        #expect(try await reopened.session("s").items().count == 1)
        try await reopened.close()
    }

    @Test("a query cancelled while SQLite runs it throws cancelled, also one stepped through SQLite's C API")
    func cancelledWhileRunning() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let ledger = try await store.open()
        try await ledger.session("s").addItems([ItemFactory.user("one")])
        let started = DispatchSemaphore(value: 0)
        let query = Task {
            try await ledger.read { db in try Self.stepEndlessly(db, signalling: started) }
        }
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                started.wait()
                continuation.resume()
            }
        }
        query.cancel()
        let error = try await #require(throws: LedgerError.self) { try await query.value }
        #expect(error.code == .cancelled, "\(error)")
        // The connection answers the next query.
        #expect(try await ledger.session("s").items().count == 1)
        try await ledger.close()
    }

    @Test("a query cancelled inside its read transaction, before its statement's first step, throws cancelled")
    func cancelledBeforeTheFirstStep() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let ledger = try await store.open()
        try await ledger.session("s").addItems([ItemFactory.user("one")])
        let inside = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        // GRDB interrupts the connection when the task is cancelled, which SQLite ignores while
        // no statement runs: the items' query must still see the cancellation.
        let query = Task {
            try await ledger.read { db -> [SessionItem] in
                inside.signal()
                release.wait()
                return try ReadModel.items(db, session: "s", branch: "main", limit: nil, asOf: nil)
            }
        }
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                inside.wait()
                continuation.resume()
            }
        }
        // The cancellation handler runs before cancel() returns.
        query.cancel()
        release.signal()
        let error = try await #require(throws: LedgerError.self) { try await query.value }
        #expect(error.code == .cancelled, "\(error)")
        #expect(try await ledger.session("s").items().count == 1)
        try await ledger.close()
    }

    @Test("a cancelled task's query throws cancelled; its write is still stored and answered")
    func cancellation() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let ledger = try await store.open()
        let session = ledger.session("s")
        try await session.addItems([ItemFactory.user("before")])
        let read = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await session.items()
        }
        let error = try await #require(throws: LedgerError.self) { try await read.value }
        #expect(error.code == .cancelled)
        let write = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await session.addItems([ItemFactory.user("written anyway")])
        }
        try await write.value
        #expect(try await session.items() == [ItemFactory.user("before"), ItemFactory.user("written anyway")])
        try await ledger.close()
    }

    @Test("events out of log order, or repeated, refuse the whole import")
    func importOrder() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let ledger = try await store.open()
        func added(_ sequence: UInt64, _ text: String) -> LedgerEvent {
            LedgerEvent(
                sequence: sequence,
                timestampMicros: 0,
                sessionID: "s",
                branch: "main",
                payload: .itemsAdded([ItemFactory.user(text)])
            )
        }
        for events in [[added(2, "b"), added(1, "a")], [added(1, "a"), added(1, "a")]] {
            let error = try await #require(throws: LedgerError.self) { try await ledger.importEvents(events) }
            #expect(error.code == .invalidArgument && error.message.contains("must be in log order"), "\(error)")
        }
        #expect(try await ledger.headSequence() == 0)
        #expect(try await ledger.importEvents([added(1, "a"), added(5, "b")]).eventsWritten == 2)
        try await ledger.close()
    }
}
