import Dispatch
import Foundation
import GRDB
import GRDBSQLite
import Logging
import Synchronization

/// The one writer of a store: a dedicated OS thread that owns the log and the read model's
/// write connection, with a helper thread for the log's `fdatasync`.
///
/// Callers enqueue commands with their continuations under a `Mutex`; the writer thread drains
/// everything queued into one group commit. Blocking calls (write, fsync) therefore never sit on
/// Swift's cooperative thread pool. DESIGN.md measured this shape at about twice the throughput
/// of the same logic in an actor on two cores: the actor's blocking flush held one of the two
/// cooperative threads.
///
/// A batch of adds and usage records (the commands of an agent's loop) overlaps the fsync with
/// the SQLite work: the writer thread derives its events from the sessions' heads (current
/// branch, turn count) it keeps in memory, writes one zstd frame, starts the `fdatasync` on the
/// helper thread, applies the events in one SQLite transaction meanwhile, and commits once the
/// fsync has returned. Its callers resume as soon as the fsync has returned, before that COMMIT:
/// their writes are durable, and a query of this ledger started after their resumption waits
/// for the COMMIT (``AppliedSequence``), so a caller still reads its own writes. (Not when
/// SQLite reports a deferred foreign key violation, which fails the COMMIT: then the callers
/// wait for it, and get its error.) After a batch of one call (an agent awaiting each add),
/// the transaction stays open briefly for the next adds, each batch with its own frame, fsync,
/// acknowledgement and savepoint, and one COMMIT for them all
/// (``LedgerOptions/commitCoalescingWait``). A batch of a few rows runs its fsync on the writer
/// thread itself, and, when only the embedded migrations shape the read model, is applied after
/// its callers resume, while they prepare their next call. Any other command (pop, clear,
/// branches, imports) goes the serial way: derive and apply in one transaction, write, fsync,
/// commit, resume; it forgets the heads of the sessions it touched. Either way SQLite never
/// gets ahead of the durable log.
final class LedgerWriter: Sendable {
    private struct Request: Sendable {
        let command: WriteCommand
        let continuation: CheckedContinuation<WriteOutcome, any Error>
    }

    /// Sessions whose heads the writer keeps in memory before it forgets them all.
    static let sessionHeadLimit = 65_536

    /// Work that needs the writer alone (a live rebuild, a deep verify): it runs on the writer
    /// thread between two group commits, so no write is in flight.
    private typealias ExclusiveTask = @Sendable (_ log: EventLog) -> Void

    private enum Work {
        case batch([Request])
        case exclusive(ExclusiveTask)
        /// Nothing is queued: index a chunk of new items for full-text search.
        case indexStep
    }

    /// The largest batch, in item rows and usage records, whose fsync the writer thread runs
    /// itself after applying it: handing a short fsync to the helper thread and back costs two
    /// thread wake-ups, more than the SQLite work it would overlap.
    static let inlineSyncMaxRows = 4
    /// The most batches one SQLite transaction of the writer takes.
    static let batchesPerTransaction = 64
    /// How long after a failed recovery (``recover()``) the next one may start; calls in
    /// between get the same error.
    static let recoveryRetryDelay: Duration = .milliseconds(50)

    /// Rows indexed per idle step: bounds how long a new command can wait behind indexing.
    static let indexRowsPerIdleStep = 2000
    /// Rows indexed per step of a search's catch-up: the commands queued meanwhile run between
    /// two steps, so that a search after a bulk load (an import of 300,000 items left them all
    /// to index) does not hold every write for as long as the whole backlog takes.
    static let indexRowsPerCatchUpStep = 20_000
    /// How long the writer must have had nothing to do before it indexes for search. Indexing
    /// as soon as the queue is empty put an FTS transaction between every two calls of a
    /// caller that awaits each write (one agent adding items one at a time).
    static let indexIdleDelayNanoseconds: UInt64 = 50_000_000
    /// Group commits after which the writer indexes even when never idle, so the backlog (and
    /// the catch-up a search must wait for) stays bounded under constant load.
    static let indexAfterCommits = 1024

    private enum Lifecycle {
        case running
        case closing(CheckedContinuation<Void, Never>)
        case closed
    }

    private struct Queue {
        var requests: [Request] = []
        var exclusive: [ExclusiveTask] = []
        var lifecycle: Lifecycle = .running
        /// The failed write that stops the writer until ``LedgerWriter/recover()`` lifts it.
        var failure: LedgerError?
        var sleeping = false

        /// What a command meets while ``failure`` stops the writer.
        var refused: Refused? {
            failure.map { Refused(error: LedgerWriter.refusal(after: $0)) }
        }

        /// Whether the writer thread sleeps and must be woken; it counts as awake from now on.
        mutating func takeSleeping() -> Bool {
            defer { sleeping = false }
            return sleeping
        }

        /// Takes the oldest requests, up to one group commit's worth (at least one, however
        /// large) and only as long as `accepts` holds for each; empty when it fails for the first.
        mutating func takeBatch(
            maxEvents: Int,
            maxBytes: Int,
            accepting accepts: (WriteCommand) -> Bool = { _ in true }
        ) -> [Request] {
            var count = 0
            var bytes = 0
            for request in requests {
                let size = request.command.byteCount
                if !accepts(request.command) || (count > 0 && (count >= maxEvents || bytes + size > maxBytes)) {
                    break
                }
                count += 1
                bytes += size
            }
            defer { requests.removeFirst(count) }
            return Array(requests.prefix(count))
        }
    }

    /// State the writer thread owns.
    private final class ThreadState: @unchecked Sendable {  // confined to the writer thread
        let log: EventLog
        var lastSync: UInt64 = 0
        var unsyncedSince: UInt64?
        var lastTimestamp: Int64 = 0
        /// The projector's prepared statements on the read model's writer connection.
        var statements: ProjectionStatements?
        /// The heads of the sessions that batches of adds and usage records touched, as the
        /// read model holds them.
        var heads: [[UInt8]: CommandDeriver.SessionHead] = [:]
        /// Whether item rows may be missing from the full-text index.
        var searchIndexBehind = true
        /// Group commits since the last indexing step.
        var commitsSinceIndexing = 0
        /// The last work was an indexing step and nothing has arrived since: keep indexing
        /// without waiting for another idle delay.
        var indexingWhileIdle = false
        /// Times the group commits' phases when the options ask for it.
        var phaseClock: WriterPhaseClock?
        /// When the last catch-up of the read model after a failure failed, and its error.
        var failedRecovery: (at: ContinuousClock.Instant, error: LedgerError)?
        /// Why the rebuild of the read model that replaced a refused catch-up failed, until a
        /// recovery succeeds: it is not tried again on its own (see `rebuildAfterRefusedCatchUp`).
        var failedRebuild: LedgerError?
        /// When the log was last recovered in place after a failure.
        var logRecoveredAt: ContinuousClock.Instant?
        /// Checkpoints the read model's WAL between group commits instead of in their COMMIT.
        let walCheckpointer = WALCheckpointer()

        init(log: EventLog, profiling: Bool) {
            self.log = log
            self.phaseClock = profiling ? WriterPhaseClock() : nil
        }

        /// The projection's state (sessions' current branches, branches' turn counts and last
        /// live rows) kept from one group commit to the next, so that a batch does not read the
        /// rows of the sessions it touches again. The writer is the read model's only writer, so
        /// the state stays true until a transaction fails or an exclusive task runs; both drop it.
        var projection: ProjectionContext?

        /// The prepared statements, prepared on first use; call inside a write closure only.
        func statements(_ db: Database) throws -> ProjectionStatements {
            if let statements {
                return statements
            }
            let prepared = try ProjectionStatements(db)
            statements = prepared
            return prepared
        }

        /// Drops what the writer keeps of the read model between group commits (the sessions'
        /// heads and the projection's state), once the rows may no longer match it: after a
        /// rolled-back transaction, before an exclusive task (a rebuild) runs.
        func forgetKeptState() {
            heads = [:]
            projection = nil
        }

        /// The projection context of the next transaction; call inside a write closure only.
        /// A new one once the kept state covers more than ``LedgerWriter/sessionHeadLimit``
        /// sessions.
        func projection(_ db: Database) throws -> ProjectionContext {
            if let projection, projection.cachedSessionCount <= LedgerWriter.sessionHeadLimit {
                return projection
            }
            let context = ProjectionContext(db, statements: try statements(db))
            projection = context
            return context
        }
    }

    private let queue = Mutex(Queue())
    private let wake = DispatchSemaphore(value: 0)
    private let threadState: ThreadState
    private let readModel: ReadModel
    private let options: LedgerOptions
    /// ``LedgerOptions/groupCommitMaxEvents``, capped at ``LedgerOptions/largestGroupCommitEvents``.
    private let batchMaxEvents: Int
    private let deriver: CommandDeriver
    private let headSequence: Atomic<UInt64>
    /// How far the read model has committed the acknowledged writes.
    let applied: AppliedSequence
    /// Runs the log's `fdatasync` while the writer thread does the SQLite work of the batch.
    private let syncer = HelperThread<SyncJob>(name: "agentledger-fsync")
    /// How the last fsync run by ``syncer`` ended.
    private let syncOutcome = Mutex<Result<Void, LedgerError>>(.success(()))
    /// The writer's profile as of its last group commit, when profiling.
    private let publishedProfile: Mutex<WriterProfile?>

    /// One fsync for ``syncer``.
    private struct SyncJob: Sendable {
        let run: @Sendable () -> Void
    }

    /// - Parameter lastTimestamp: the latest timestamp of the log's events: the writer's come no
    ///   earlier, whatever the clock says.
    init(log: EventLog, readModel: ReadModel, options: LedgerOptions, lastTimestamp: Int64) {
        self.threadState = ThreadState(log: log, profiling: options.profilesWriter)
        threadState.lastTimestamp = lastTimestamp
        self.readModel = readModel
        self.options = options
        self.batchMaxEvents = min(options.groupCommitMaxEvents, LedgerOptions.largestGroupCommitEvents)
        self.deriver = CommandDeriver(limits: options)
        self.headSequence = Atomic(log.lastSequence)
        self.applied = AppliedSequence(log.lastSequence)
        self.publishedProfile = Mutex(options.profilesWriter ? WriterProfile() : nil)
    }

    /// The sequence number of the last acknowledged event: durable, and applied to the read
    /// model or about to be, unless the COMMIT failed (see ``waitUntilApplied()``).
    var lastSequence: UInt64 { headSequence.load(ordering: .acquiring) }

    /// Returns once the read model shows every write acknowledged so far. When a failed write
    /// left it behind them, catches it up from the log first (``recover()``), and throws when
    /// that fails. Throws `CancellationError` when the calling task is cancelled while it waits,
    /// for the catch-up too: that runs in its turn on the writer thread, which may be busy with
    /// a long fsync or another catch-up, and is not waited for.
    func waitUntilApplied() async throws {
        do {
            try await applied.wait(for: lastSequence)
        } catch let error as LedgerError where error.code == .writerFailed {
            try await exclusiveUnlessCancelled { [self] _ in try recoverOnWriterThread() }
            try await applied.wait(for: lastSequence)
        }
    }

    /// Commands queued and not yet taken into a group commit (for tests that must know two
    /// commands share one batch).
    var queuedRequestCount: Int {
        queue.withLock { $0.requests.count }
    }

    /// Exclusive tasks queued and not yet started (for tests that must know a call waits for
    /// the writer).
    var queuedExclusiveCount: Int {
        queue.withLock { $0.exclusive.count }
    }

    /// Starts the writer thread and its fsync helper.
    func start() {
        syncer.start { job in job.run() }
        let thread = Thread { [self] in run() }
        thread.name = "agentledger-writer"
        thread.start()
    }

    /// Queues `command` and returns once its batch is durable (per the durability option); the
    /// read model has applied it, or queries wait until it has. Cancelling the caller after
    /// this point does not undo the write.
    ///
    /// After a failed write, the read model is first caught up from the log (``recover()``);
    /// the command is refused when that fails.
    func submit(_ command: WriteCommand) async throws -> WriteOutcome {
        do {
            return try await enqueue(command)
        } catch is Refused {
            try await recover()
            do {
                return try await enqueue(command)
            } catch let again as Refused {
                throw again.error
            }
        }
    }

    /// A command refused because an earlier write failed.
    private struct Refused: Error {
        let error: LedgerError
    }

    /// Queues `command` and returns its outcome; throws ``Refused`` while a failure stops writes.
    private func enqueue(_ command: WriteCommand) async throws -> WriteOutcome {
        try await withCheckedThrowingContinuation { continuation in
            let shouldWake: Bool
            do {
                shouldWake = try queue.withLock { queue throws(any Error) in
                    guard case .running = queue.lifecycle else {
                        throw LedgerError(.closed, "the ledger is closed")
                    }
                    if let refused = queue.refused {
                        throw refused
                    }
                    queue.requests.append(Request(command: command, continuation: continuation))
                    return queue.takeSleeping()
                }
            } catch {
                continuation.resume(throwing: error)
                return
            }
            if shouldWake {
                wake.signal()
            }
        }
    }

    /// After a failed write (a full disk, an I/O error, a read model changed behind the
    /// ledger's back), recovers on the writer thread and lets writes and queries go on: a log
    /// whose write or fsync failed is recovered in place, as a reopen would
    /// (``EventLog/recoverAfterFailure(keeping:)``), then the read model is caught up from the
    /// log, or rebuilt from it when SQLite refuses that for a fault of the read model's own
    /// (``ReadModelBuilder/rebuildCures(_:)``). Nothing when no failure stops the writer.
    /// Throws `writerFailed`, with why, when either step fails (the disk is still full, say);
    /// the store then stays stopped, and the next call tries again.
    func recover() async throws {
        try await exclusive { [self] _ in try recoverOnWriterThread() }
    }

    /// Runs `body` on the writer thread with no write in flight, and returns its result.
    /// Commands submitted meanwhile wait and go out after it.
    func exclusive<T: Sendable>(_ body: @escaping @Sendable (EventLog) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            enqueueExclusive { log in
                continuation.resume(with: Result { try body(log) })
            } refused: { error in
                continuation.resume(throwing: error)
            }
        }
    }

    /// Runs `body` as ``exclusive(_:)`` does, for a query that needs the writer first: a caller
    /// whose task is cancelled stops waiting at once and gets `CancellationError`, since the
    /// writer may be in the middle of a long fsync, which a cancelled query must not wait for.
    /// `body` still runs in its turn, and its result is dropped.
    func exclusiveUnlessCancelled<T: Sendable>(_ body: @escaping @Sendable (EventLog) throws -> T) async throws -> T {
        let waiter = ExclusiveWaiter<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                // Under the lock that the cancellation handler takes: a cancellation that came
                // before is seen here, a later one finds the continuation.
                guard waiter.install(continuation) else {
                    continuation.resume(throwing: CancellationError())
                    return
                }
                enqueueExclusive { log in
                    let result = Result { try body(log) }
                    waiter.take()?.resume(with: result)
                } refused: { error in
                    waiter.take()?.resume(throwing: error)
                }
            }
        } onCancel: {
            waiter.take()?.resume(throwing: CancellationError())
        }
    }

    /// The continuation of an ``exclusiveUnlessCancelled(_:)`` call, resumed once: by the
    /// task's end or by the caller's cancellation, whichever comes first.
    private final class ExclusiveWaiter<T: Sendable>: Sendable {
        private let continuation = Mutex<CheckedContinuation<T, any Error>?>(nil)

        /// Keeps `continuation` for ``take()``; false, keeping nothing, when the calling task
        /// is cancelled already.
        func install(_ continuation: CheckedContinuation<T, any Error>) -> Bool {
            self.continuation.withLock { kept in
                if Task.isCancelled {
                    return false
                }
                kept = continuation
                return true
            }
        }

        /// The continuation, if nobody took it before.
        func take() -> CheckedContinuation<T, any Error>? {
            continuation.withLock { kept in
                defer { kept = nil }
                return kept
            }
        }
    }

    /// Queues `task` for the writer thread, or calls `refused` when the ledger is closed.
    private func enqueueExclusive(_ task: @escaping ExclusiveTask, refused: (LedgerError) -> Void) {
        let shouldWake: Bool
        do {
            shouldWake = try queue.withLock { queue throws(LedgerError) in
                guard case .running = queue.lifecycle else {
                    throw LedgerError(.closed, "the ledger is closed")
                }
                queue.exclusive.append(task)
                return queue.takeSleeping()
            }
        } catch {
            refused(error)
            return
        }
        if shouldWake {
            wake.signal()
        }
    }

    /// The phases of the group commits completed so far; nil unless the options ask for
    /// profiling. Read without stopping the writer (an exclusive task would make it forget the
    /// heads and projection state it keeps, and so change what is being measured).
    func profile() -> WriterProfile? {
        publishedProfile.withLock { $0 }
    }

    /// Brings the full-text index up to date with every acknowledged item (before a search),
    /// after recovering from a failed write (``recover()``). Throws when that recovery fails and
    /// left the read model behind acknowledged writes, and with `CancellationError` when the
    /// calling task is cancelled while it waits for the writer.
    ///
    /// The rows to index are those the read model holds when the first step runs (every
    /// acknowledged item by then), indexed in steps of ``indexRowsPerCatchUpStep`` rows, each an
    /// exclusive task of its own.
    func catchUpSearchIndex(rowsPerStep: Int = LedgerWriter.indexRowsPerCatchUpStep) async throws {
        var target: Int64? = nil
        var remaining = true
        while remaining {
            (target, remaining) = try await exclusiveUnlessCancelled { [self, target] _ in
                let last = try target ?? firstCatchUpStep()
                return (last, indexForSearch(limit: rowsPerStep, through: last))
            }
        }
    }

    /// The start of a search's catch-up, on the writer thread: recovers from a failed write if
    /// one left the store stopped, and returns the id of the last item row, the last to index.
    private func firstCatchUpStep() throws -> Int64 {
        do {
            try recoverOnWriterThread()
        } catch {
            // A log that cannot take writes yet may leave the read model holding every
            // acknowledged write (no batch is in flight here): search it, as queries do.
            guard applied.value >= lastSequence else {
                throw error
            }
        }
        return try readModel.pool.writeWithoutTransaction { db in
            try Int64.fetchOne(db, sql: "SELECT max(id) FROM item") ?? 0
        }
    }

    /// Indexes up to `limit` new item rows (of id `through` at most) for full-text search, in
    /// one transaction. Returns whether such rows may remain.
    @discardableResult
    private func indexForSearch(limit: Int, through last: Int64 = .max) -> Bool {
        guard threadState.searchIndexBehind else {
            return false
        }
        do {
            return try readModel.pool.writeWithoutTransaction { db in
                let statements = try threadState.statements(db)
                var remaining = false
                try db.inTransaction {
                    remaining = try SearchIndexer.indexPending(db, statements: statements, limit: limit, through: last)
                    return .commit
                }
                // Rows above `last` are not looked at: the index may still be behind them.
                threadState.searchIndexBehind = remaining || last != .max
                return remaining
            }
        } catch {
            threadState.searchIndexBehind = false
            options.logger.error("full-text indexing failed", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// Finishes every queued command, syncs, closes the log and stops the thread.
    func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let alreadyClosed = queue.withLock { queue in
                guard case .running = queue.lifecycle else {
                    return true
                }
                queue.lifecycle = .closing(continuation)
                queue.sleeping = false
                return false
            }
            if alreadyClosed {
                continuation.resume()
            } else {
                wake.signal()
            }
        }
    }

    // MARK: - The writer thread

    private func run() {
        readModel.pool.writeWithoutTransaction { db in
            threadState.walCheckpointer.install(on: db, sizeLimit: options.walSizeLimitBytes)
        }
        while true {
            let (work, closing) = takeWork()
            switch work {
            case .batch(let batch) where !batch.isEmpty:
                commit(batch)
            case .exclusive(let task):
                threadState.forgetKeptState()
                task(threadState.log)
                // A rebuild copies the new model in with the backup API, which the WAL hook
                // does not see.
                threadState.walCheckpointer.markDue()
            case .indexStep:
                threadState.commitsSinceIndexing = 0
                threadState.phaseClock?.start()
                indexForSearch(limit: Self.indexRowsPerIdleStep)
                threadState.phaseClock?.mark(.maintenance)
            case .batch:
                break
            }
            checkpointIfDue()
            if let closing {
                finish(closing)
                return
            }
        }
    }

    /// Waits for work and takes an exclusive task, or up to one group commit's worth of requests.
    private func takeWork() -> (Work, CheckedContinuation<Void, Never>?) {
        var idle = false
        while true {
            var canIndex = false
            let taken: (Work, CheckedContinuation<Void, Never>?)? = queue.withLock { queue in
                canIndex = threadState.searchIndexBehind && queue.failure == nil
                // Under constant load the queue is never empty: index every so many commits.
                if canIndex && threadState.commitsSinceIndexing >= Self.indexAfterCommits {
                    return (.indexStep, nil)
                }
                if !queue.exclusive.isEmpty {
                    return (.exclusive(queue.exclusive.removeFirst()), nil)
                }
                if !queue.requests.isEmpty {
                    let batch = queue.takeBatch(
                        maxEvents: batchMaxEvents,
                        maxBytes: options.groupCommitMaxBytes
                    )
                    return (.batch(batch), nil)
                }
                if case .closing(let continuation) = queue.lifecycle {
                    queue.lifecycle = .closed
                    return (.batch([]), continuation)
                }
                if canIndex && (idle || threadState.indexingWhileIdle) {
                    return (.indexStep, nil)
                }
                queue.sleeping = true
                return nil
            }
            if let taken {
                // Queued work goes first, so after a step nothing has arrived if the next
                // round finds the queue empty.
                if case .indexStep = taken.0 {
                    threadState.indexingWhileIdle = true
                } else {
                    threadState.indexingWhileIdle = false
                }
                return taken
            }
            idle = waitForWork(indexing: canIndex)
        }
    }

    /// Sleeps until a caller signals, until an interval fsync falls due, or (when `indexing`)
    /// until the writer has been idle long enough to index for search; returns true in that
    /// last case.
    private func waitForWork(indexing: Bool) -> Bool {
        var syncDue: UInt64?
        if case .interval(let milliseconds) = options.durability, let since = threadState.unsyncedSince {
            // An uptime stays below 2^61 ns (73 years): the sum below 2^62 (see the interval's bound).
            syncDue = min(since + Self.intervalNanoseconds(milliseconds), (1 << 62) - 1)
        }
        let indexDue = indexing ? DispatchTime.now().uptimeNanoseconds + Self.indexIdleDelayNanoseconds : nil
        guard let due = [syncDue, indexDue].compactMap({ $0 }).min() else {
            wake.wait()
            return false
        }
        guard wake.wait(timeout: DispatchTime(uptimeNanoseconds: due)) == .timedOut else {
            return false
        }
        if let syncDue, syncDue <= DispatchTime.now().uptimeNanoseconds {
            syncForInterval()
        }
        return indexDue.map { $0 <= DispatchTime.now().uptimeNanoseconds } ?? false
    }

    /// The longest interval of ``Durability/interval(milliseconds:)`` the writer counts with:
    /// 2^61 ns, about 73 years. A longer one (`Int.max`, say) means the same: no fsync but the
    /// one at close. The deadline computed from it, an uptime plus the interval, then neither
    /// overflows nor reaches 2^62, where `DispatchTime` reads the bits as another clock's (a
    /// deadline long past: the idle writer woke at once, again and again).
    static let longestIntervalNanoseconds: UInt64 = 1 << 61

    /// The interval of ``Durability/interval(milliseconds:)`` in nanoseconds, 0 for a negative
    /// one, at most ``longestIntervalNanoseconds``.
    static func intervalNanoseconds(_ milliseconds: Int) -> UInt64 {
        let (nanoseconds, overflow) = UInt64(max(milliseconds, 0)).multipliedReportingOverflow(by: 1_000_000)
        return overflow ? longestIntervalNanoseconds : min(nanoseconds, longestIntervalNanoseconds)
    }

    private func syncForInterval() {
        do {
            try threadState.log.sync()
            threadState.unsyncedSince = nil
        } catch {
            fail(with: Self.ledgerError(error, context: "fsync of the log"))
        }
    }

    private func nextTimestamp() -> Int64 {
        let now = max(options.clock(), threadState.lastTimestamp)
        threadState.lastTimestamp = now
        return now
    }

    private func commit(_ batch: [Request]) {
        // Requests queued before a failure must not go out after it: the failed batch may have
        // left the heads, or the log, in a state nothing may build on.
        if let refused = queue.withLock({ $0.refused }) {
            // Not derived yet: ``submit(_:)`` queues them again once the read model caught up.
            for request in batch {
                request.continuation.resume(throwing: refused)
            }
            return
        }
        if options.durability == .fsync && batch.allSatisfy({ CommandDeriver.canDeriveAhead($0.command) }) {
            commitOverlapped(batch)
        } else {
            commitSerially(batch)
        }
    }

    /// The serial group commit: derive and apply in one SQLite transaction, write the frame,
    /// make it durable, commit, resume the callers.
    private func commitSerially(_ batch: [Request]) {
        let log = threadState.log
        let firstSequence = log.lastSequence + 1
        let timestamp = nextTimestamp()
        var outcomes: [Result<WriteOutcome, LedgerError>] = []
        outcomes.reserveCapacity(batch.count)
        var events: [LedgerEvent] = []
        var frameWritten = false
        threadState.phaseClock?.start()
        do {
            try inImmediateTransaction { db in
                threadState.phaseClock?.mark(.begin)
                let context = try threadState.projection(db)
                func perform(_ command: WriteCommand) throws -> Result<WriteOutcome, LedgerError> {
                    if case .sequence(let commands) = command {
                        return .success(.sequence(try commands.map(perform)))
                    }
                    do {
                        let (event, outcome) = try deriver.derive(
                            command,
                            sequence: firstSequence + UInt64(events.count),
                            timestamp: timestamp,
                            context: context
                        )
                        if let event {
                            try Projector.apply(event, in: context)
                            events.append(event)
                        }
                        return .success(outcome)
                    } catch let rejection as CommandDeriver.Rejection {
                        return .failure(rejection.error)
                    }
                }
                for request in batch {
                    outcomes.append(try perform(request.command))
                }
                if !events.isEmpty {
                    try context.flush()
                    try Projector.setCheckpoint(firstSequence + UInt64(events.count) - 1, db: db)
                    threadState.phaseClock?.mark(.apply)
                    try log.append(
                        firstSequence: firstSequence,
                        eventCount: events.count,
                        payload: EventCodec.encode(events)
                    )
                    frameWritten = true
                    try recordLogIdentity(ifFirstFrame: firstSequence, db: db)
                    threadState.phaseClock?.mark(.write)
                    try makeDurable()
                    threadState.phaseClock?.mark(.waitForSync)
                }
            }
            if !events.isEmpty {
                threadState.phaseClock?.mark(.commit)
            }
        } catch {
            abandon(batch, error: error, derived: events, frameWritten: frameWritten)
            return
        }
        // The heads of these sessions may have changed in ways only the read model knows.
        for event in events {
            threadState.heads[Array(event.sessionID.utf8)] = nil
        }
        complete(batch, outcomes: outcomes, committed: events)
    }

    /// A batch of adds and usage records on its way through ``commitOverlapped(_:)``.
    private struct OverlappedBatch {
        let requests: [Request]
        var outcomes: [Result<WriteOutcome, LedgerError>] = []
        var events: [LedgerEvent] = []
        /// Its frame is in the log.
        var frameWritten = false
        /// Its fsync runs on the helper thread and has not been waited for.
        var syncing = false
        /// Its callers have their answers.
        var acknowledged = false

        init(_ requests: [Request]) {
            self.requests = requests
            outcomes.reserveCapacity(requests.count)
        }
    }

    /// The group commits of adds and usage records: derive from the in-memory session heads,
    /// write the frame, and apply it to SQLite while the fsync runs; acknowledge once the fsync
    /// has returned. After a batch of one call, the same SQLite transaction then takes the next
    /// batch of adds if one comes soon enough (``takeFollowingBatch(openedAt:batches:)``), so
    /// that an agent awaiting each add pays for one COMMIT every few calls instead of every
    /// call. A query of this ledger that waits makes it commit after the batch in flight.
    private func commitOverlapped(_ requests: [Request]) {
        if threadState.heads.count > Self.sessionHeadLimit {
            threadState.heads = [:]
        }
        var batch = OverlappedBatch(requests)
        // The events of this transaction's earlier batches, all acknowledged.
        var acknowledged: [LedgerEvent] = []
        // Why the current batch failed after earlier ones were acknowledged: its rows are rolled
        // back to its savepoint, and theirs committed.
        var failedAlone: (any Error)?
        threadState.phaseClock?.start()
        do {
            try readModel.pool.writeWithoutTransaction { db in
                try deriveAhead(&batch, db: db)
                guard !batch.events.isEmpty else {
                    return
                }
                try writeFrame(of: &batch)
                let openedAt = ContinuousClock.now
                try db.inCachedTransaction(immediate: true) {
                    threadState.phaseClock?.mark(.begin)
                    try applyAndAcknowledge(&batch, db: db)
                    var batches = 1
                    while batch.acknowledged, batch.requests.count == 1,
                        let next = takeFollowingBatch(openedAt: openedAt, batches: batches)
                    {
                        acknowledged += batch.events
                        batches += 1
                        batch = OverlappedBatch(next)
                        threadState.phaseClock?.start()
                        do {
                            try db.cachedStatement(sql: "SAVEPOINT following_batch").execute()
                            try commitFollowing(&batch, db: db)
                            try db.cachedStatement(sql: "RELEASE following_batch").execute()
                        } catch {
                            if batch.syncing {
                                // The log is the helper's until its fsync has returned.
                                batch.syncing = false
                                _ = try? finishSync()
                            }
                            // An acknowledged batch (its RELEASE failed, or its rows, applied
                            // after the acknowledgement) cannot fail alone, nor can one whose
                            // error made SQLite roll back the whole transaction: the transaction
                            // fails, and with it the acknowledged batches (below).
                            guard !batch.acknowledged, db.isInsideTransaction else {
                                throw error
                            }
                            // When even this fails, the whole transaction rolls back too.
                            try db.cachedStatement(sql: "ROLLBACK TO following_batch").execute()
                            try db.cachedStatement(sql: "RELEASE following_batch").execute()
                            failedAlone = error
                            break
                        }
                    }
                }
                threadState.phaseClock?.mark(.commit)
            }
        } catch {
            if batch.syncing {
                // The log is the helper's until its fsync has returned.
                _ = try? finishSync()
            }
            if batch.acknowledged {
                acknowledged += batch.events
            } else {
                abandon(batch.requests, error: error, derived: batch.events, frameWritten: batch.frameWritten)
            }
            if !acknowledged.isEmpty {
                abandonAcknowledged(acknowledged, error: error)
            }
            return
        }
        if let failedAlone {
            if let last = acknowledged.last {
                applied.publish(last.sequence)
            }
            abandon(batch.requests, error: failedAlone, derived: batch.events, frameWritten: batch.frameWritten)
        } else if batch.acknowledged {
            // Its callers have their answers: only the readers wait.
            applied.publish(threadState.log.lastSequence)
            threadState.phaseClock?.mark(.resume)
        } else {
            complete(batch.requests, outcomes: batch.outcomes, committed: batch.events)
        }
    }

    /// Derives, writes, applies and acknowledges a batch that joins an open transaction after
    /// others were acknowledged in it; throws when any step fails or the COMMIT would fail on
    /// its rows: for the caller to roll back to the batch's savepoint when the batch is not
    /// acknowledged yet, and to fail the whole transaction when it is.
    private func commitFollowing(_ batch: inout OverlappedBatch, db: Database) throws {
        try deriveAhead(&batch, db: db)
        guard !batch.events.isEmpty else {
            acknowledge(batch.requests, outcomes: batch.outcomes, committed: [])
            batch.acknowledged = true
            return
        }
        try writeFrame(of: &batch)
        try applyAndAcknowledge(&batch, db: db)
        guard batch.acknowledged else {
            throw LedgerError(
                .sqlite,
                "a deferred foreign key constraint of the read model failed for \(batch.events.count) events"
            )
        }
    }

    /// Derives the events of `batch` from the sessions' heads, read from `db` (the writer
    /// connection, possibly inside this transaction) for a session the writer does not keep.
    private func deriveAhead(_ batch: inout OverlappedBatch, db: Database) throws {
        let firstSequence = threadState.log.lastSequence + 1
        let timestamp = nextTimestamp()
        for request in batch.requests {
            do {
                let session = request.command.sessionID
                // By bytes: two spellings of one text ("café" composed and decomposed) are
                // equal Strings but two sessions, as in the read model.
                let key = Array(session.utf8)
                var head = try threadState.heads[key] ?? committedHead(of: session, db: db)
                let (event, outcome) = try deriver.deriveAhead(
                    request.command,
                    sequence: firstSequence + UInt64(batch.events.count),
                    timestamp: timestamp,
                    head: &head
                )
                if let event {
                    threadState.heads[key] = head
                    batch.events.append(event)
                }
                batch.outcomes.append(.success(outcome))
            } catch let rejection as CommandDeriver.Rejection {
                batch.outcomes.append(.failure(rejection.error))
            }
        }
        threadState.phaseClock?.mark(.derive)
    }

    /// Appends the frame of `batch` to the log and, unless the batch is small enough to fsync
    /// inline (``inlineSyncMaxRows``), starts its fsync on the helper thread.
    private func writeFrame(of batch: inout OverlappedBatch) throws {
        let log = threadState.log
        let payload = EventCodec.encode(batch.events)
        try log.append(firstSequence: log.lastSequence + 1, eventCount: batch.events.count, payload: payload)
        batch.frameWritten = true
        let rows = batch.events.reduce(0) { rows, event in
            if case .itemsAdded(let items) = event.payload {
                return rows + items.count
            }
            return rows + 1
        }
        if rows > Self.inlineSyncMaxRows {
            startSync()
            batch.syncing = true
        }
        threadState.phaseClock?.mark(.write)
    }

    /// Applies the events of `batch`, whose frame is written, in the open transaction; waits
    /// for its fsync (or runs it); and acknowledges its callers, unless the COMMIT is bound to
    /// fail on the rows themselves (a deferred foreign key of an extra migration).
    ///
    /// A batch whose fsync runs inline is acknowledged as soon as it is durable, and applied
    /// after, while its callers resume, when only the embedded migrations shape the read model:
    /// their schema accepts every event the writer derives, so the apply can fail only as the
    /// COMMIT after it can (I/O, a full disk, a read model changed behind the ledger's back),
    /// which acknowledged batches already survive: the log keeps them, and the read model
    /// catches up from it (``recover()``, or on reopen, where it is rebuilt when it cannot).
    private func applyAndAcknowledge(_ batch: inout OverlappedBatch, db: Database) throws {
        let appliesLate = !batch.syncing && options.extraMigrations.isEmpty
        if !appliesLate {
            try apply(batch.events, db: db)
        }
        if batch.syncing {
            batch.syncing = false
            try finishSync()
        } else {
            try threadState.log.sync()
        }
        threadState.phaseClock?.mark(.waitForSync)
        // Durable: the callers need not wait for the COMMIT, only readers do. Not when the
        // COMMIT is bound to fail on the rows themselves (a deferred foreign key of an extra
        // migration): replaying the event would fail the same way, so the batch must fail and
        // leave the log, as before the COMMIT.
        guard appliesLate || !Self.hasDeferredViolations(db) else {
            return
        }
        batch.acknowledged = true
        acknowledge(batch.requests, outcomes: batch.outcomes, committed: batch.events)
        if appliesLate {
            try apply(batch.events, db: db)
        }
    }

    /// Applies `events`, the newest of the log, in the open transaction on `db`.
    private func apply(_ events: [LedgerEvent], db: Database) throws {
        let context = try threadState.projection(db)
        for event in events {
            try Projector.apply(event, in: context)
        }
        try context.flush()
        try Projector.setCheckpoint(threadState.log.lastSequence, db: db)
        if let first = events.first {
            try recordLogIdentity(ifFirstFrame: first.sequence, db: db)
        }
        threadState.phaseClock?.mark(.apply)
    }

    /// In the transaction that applies the log's first frame, just written, records the log's
    /// identity (that frame's hash: ``LogIdentity``) in the read model, so that from its COMMIT
    /// on the model's checkpoint proves its events durable (``DurableThrough``), also when this
    /// writer is killed and never closes. A log that held frames at open had its identity
    /// recorded then (``ReadModelBuilder``).
    private func recordLogIdentity(ifFirstFrame firstSequence: UInt64, db: Database) throws {
        if firstSequence == 1 {
            try ReadModel.recordLogIdentity(threadState.log.headHashHex, db: db)
        }
    }

    /// The next batch of adds and usage records for the open transaction, if one is queued
    /// within ``LedgerOptions/commitCoalescingWait`` and nothing needs the COMMIT first: a
    /// query of this ledger waiting for it, another kind of command, an exclusive task,
    /// closing, or the transaction's limits (``batchesPerTransaction``,
    /// ``LedgerOptions/transactionOpenLimit``, which bound how late readers in other processes
    /// see a write).
    private func takeFollowingBatch(openedAt: ContinuousClock.Instant, batches: Int) -> [Request]? {
        guard options.commitCoalescingWait > .zero, batches < Self.batchesPerTransaction else {
            return nil
        }
        let closeBy = openedAt + options.transactionOpenLimit
        let giveUpAt = min(ContinuousClock.now + options.commitCoalescingWait, closeBy)
        while !applied.hasWaiters {
            let now = ContinuousClock.now
            // The limit holds even while batches keep coming, so it is checked before the queue.
            if now >= closeBy {
                return nil
            }
            // nil: nothing queued yet; empty: commit first.
            let taken: [Request]? = queue.withLock { queue in
                guard queue.exclusive.isEmpty, case .running = queue.lifecycle, queue.failure == nil else {
                    return []
                }
                if queue.requests.isEmpty {
                    return nil
                }
                return queue.takeBatch(
                    maxEvents: batchMaxEvents,
                    maxBytes: options.groupCommitMaxBytes,
                    accepting: CommandDeriver.canDeriveAhead
                )
            }
            if let taken {
                return taken.isEmpty ? nil : taken
            }
            if now >= giveUpAt {
                return nil
            }
            sched_yield()
        }
        return nil
    }

    /// Ends a group commit whose events (`committed`, possibly none) are durable and applied.
    private func complete(
        _ batch: [Request],
        outcomes: [Result<WriteOutcome, LedgerError>],
        committed: [LedgerEvent]
    ) {
        if !committed.isEmpty {
            applied.publish(threadState.log.lastSequence)
        }
        acknowledge(batch, outcomes: outcomes, committed: committed)
    }

    /// Publishes the new head of a group commit whose events (`committed`, possibly none) are
    /// durable, and resumes every caller with its outcome.
    private func acknowledge(
        _ batch: [Request],
        outcomes: [Result<WriteOutcome, LedgerError>],
        committed: [LedgerEvent]
    ) {
        if !committed.isEmpty {
            threadState.searchIndexBehind = true
            threadState.commitsSinceIndexing += 1
            if options.durability != .fsync {
                threadState.log.acknowledgeWrites()
            }
            headSequence.store(threadState.log.lastSequence, ordering: .releasing)
            // Published before the callers resume, so a caller reading it sees its own commit;
            // this commit's resume time (and the COMMIT, for a batch acknowledged before it)
            // goes into the next publication.
            if threadState.phaseClock != nil {
                threadState.phaseClock?.count(events: committed.count)
                let profile = threadState.phaseClock?.profile
                publishedProfile.withLock { $0 = profile }
            }
        }
        for (request, outcome) in zip(batch, outcomes) {
            request.continuation.resume(with: outcome)
        }
        if !committed.isEmpty {
            threadState.phaseClock?.mark(.resume)
        }
    }

    /// Ends a group commit that failed with `error` after deriving `derived`: cuts its frame
    /// from the log if one was written (unless the log failed, and so cut it itself), forgets
    /// the heads (they may hold events that were never committed), puts the store in the
    /// failed state when events were derived, and resumes every caller with the error.
    private func abandon(_ batch: [Request], error: any Error, derived: [LedgerEvent], frameWritten: Bool) {
        let failure = Self.ledgerError(error, context: "group commit of \(counted(batch.count, "call"))")
        let log = threadState.log
        if frameWritten, !log.hasFailed {
            // The frame is in the log but the batch failed (the read model's transaction):
            // nobody will be told it was written, so it must not stay there.
            log.revertLastAppend()
        }
        // The rolled-back transaction may have changed what the writer keeps.
        threadState.forgetKeptState()
        if !derived.isEmpty {
            fail(with: failure)
        }
        for request in batch {
            request.continuation.resume(throwing: failure)
        }
    }

    /// Ends a group commit whose callers were told their events are durable, and whose SQLite
    /// COMMIT then failed (`error`): the frame stays in the log, which is what counts; the
    /// store refuses writes, and queries that must see those events fail, until the read model
    /// catches up from the log (``recover()``, which they try first, or a reopen).
    private func abandonAcknowledged(_ events: [LedgerEvent], error: any Error) {
        let failure = Self.ledgerError(
            error,
            context: "applying \(events.count) acknowledged events (durable in the log) to the read model"
        )
        threadState.forgetKeptState()
        fail(with: failure, afterAcknowledging: true)
        applied.fail(
            LedgerError(
                .writerFailed,
                "the read model could not apply acknowledged writes, which are safe in the log: "
                    + failure.message,
                underlying: failure
            )
        )
    }

    /// Whether the open transaction holds deferred foreign key violations, which make its
    /// COMMIT fail (`SQLITE_DBSTATUS_DEFERRED_FKS`). The read model's own schema defers none;
    /// an extra migration may.
    private static func hasDeferredViolations(_ db: Database) -> Bool {
        var current: Int32 = 0
        var highest: Int32 = 0
        guard sqlite3_db_status(db.sqliteConnection, SQLITE_DBSTATUS_DEFERRED_FKS, &current, &highest, 0) == SQLITE_OK
        else {
            return true
        }
        return current > 0
    }

    /// Starts the log's fdatasync on the helper thread; the log must not be touched until
    /// ``finishSync()`` returns.
    private func startSync() {
        syncer.submit(
            SyncJob { [self] in
                let outcome: Result<Void, LedgerError>
                do {
                    try threadState.log.sync()
                    outcome = .success(())
                } catch {
                    outcome = .failure(Self.ledgerError(error, context: "fsync of the log"))
                }
                syncOutcome.withLock { $0 = outcome }
            }
        )
    }

    /// Waits for the fsync started by ``startSync()`` and throws its error.
    private func finishSync() throws {
        syncer.drain()
        try syncOutcome.withLock { $0 }.get()
    }

    /// The head of a session as the read model has it on the writer connection `db`; nil
    /// when the session does not exist.
    private func committedHead(of session: String, db: Database) throws -> CommandDeriver.SessionHead? {
        let row = try Row.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT session.current_branch, branch.turn_count FROM session
                    JOIN branch ON branch.session = session.id AND branch.name = session.current_branch
                    WHERE session.id = ?
                    """
            ),
            arguments: [session]
        )
        return row.map { CommandDeriver.SessionHead(branch: $0[0], turns: $0[1]) }
    }

    /// Runs `body` in an immediate transaction on the read model's writer connection; commits
    /// when it returns, rolls back when it throws.
    private func inImmediateTransaction(_ body: (Database) throws -> Void) throws {
        try readModel.pool.writeWithoutTransaction { db in
            try db.inCachedTransaction(immediate: true) { try body(db) }
        }
    }

    private func makeDurable() throws {
        switch options.durability {
        case .fsync:
            try threadState.log.sync()
        case .interval(let milliseconds):
            let now = DispatchTime.now().uptimeNanoseconds
            if now - threadState.lastSync >= Self.intervalNanoseconds(milliseconds) {
                try threadState.log.sync()
                threadState.lastSync = now
                threadState.unsyncedSince = nil
            } else if threadState.unsyncedSince == nil {
                threadState.unsyncedSince = now
            }
        case .none:
            break
        }
    }

    /// Puts the store into the failed state: every later write is refused until ``recover()``
    /// lifts it (each call tries) or the store is reopened. `afterAcknowledging`: the writes
    /// themselves succeeded (durable in the log), only the read model could not take them.
    private func fail(with error: LedgerError, afterAcknowledging: Bool = false) {
        let what = afterAcknowledging ? "the read model could not take acknowledged writes" : "write failed"
        options.logger.error(
            threadState.log.hasFailed
                ? "\(what); the store refuses writes until the log recovers and the read model catches up"
                : "\(what); the store refuses writes until the read model catches up from the log",
            metadata: ["error": "\(error)"]
        )
        queue.withLock { queue in
            if queue.failure == nil {
                queue.failure = error
            }
        }
    }

    /// The work of ``recover()``, on the writer thread with no write in flight.
    private func recoverOnWriterThread() throws {
        guard let failure = queue.withLock({ $0.failure }) else {
            return
        }
        let log = threadState.log
        // Every query and write of a stopped store tries; one attempt at a time is enough.
        if let (at, refusal) = threadState.failedRecovery, ContinuousClock.now < at + Self.recoveryRetryDelay {
            throw refusal
        }
        do {
            try recoverLog(log)
        } catch {
            throw recoveryFailed(
                after: failure,
                in: "recovering the log",
                error,
                outlook: "writes are refused until a later one recovers it, or the store is reopened"
            )
        }
        let last = log.lastSequence
        do {
            let checkpoint = try readModel.pool.writeWithoutTransaction { db -> UInt64 in
                if db.isInsideTransaction {
                    try db.rollback()
                }
                return try Projector.checkpoint(db)
            }
            guard checkpoint <= last else {
                throw LedgerError(.sqlite, "the read model is ahead of the log (\(checkpoint) > \(last))")
            }
            if checkpoint < last {
                try ReadModelBuilder.replay(
                    directory: log.directory,
                    into: readModel.pool,
                    from: checkpoint + 1,
                    through: last,
                    progress: nil
                )
            }
            // The failed transaction may have been the one that recorded the log's identity
            // (its first frame's): without it the model proves nothing (DurableThrough).
            if last > 0, let identity = ReadModelBuilder.readLogIdentity(directory: log.directory, options: options) {
                try readModel.recordLogIdentity(identity)
            }
        } catch let error as DatabaseError where ReadModelBuilder.rebuildCures(error) {
            try rebuildAfterRefusedCatchUp(error, through: last, after: failure)
        } catch {
            throw recoveryFailed(
                after: failure,
                in: "catching the read model up from the log",
                error,
                outlook: "the acknowledged writes are safe in the log: reopen the store"
            )
        }
        threadState.failedRecovery = nil
        threadState.failedRebuild = nil
        threadState.searchIndexBehind = true
        queue.withLock { queue in
            queue.failure = nil
        }
        applied.recover(last)
        options.logger.notice(
            "the read model caught up from the log after a failed write; the store takes writes again",
            metadata: ["through": "\(last)"]
        )
    }

    /// Rebuilds the read model from the log through `last` after SQLite refused to catch it up
    /// with `error`, a fault of the read model's own (``ReadModelBuilder/rebuildCures(_:)``: a
    /// trigger or constraint added behind the ledger's back, damaged pages), as a reopen would,
    /// but copied into the live file (``ReadModelBuilder/rebuildLive(_:directory:through:options:progress:)``)
    /// so that other processes' queries go on; this one's wait for it, as its writes do.
    /// Tried once: a rebuild that failed (a damaged frame, no room for the new file) would fail
    /// again, replaying the whole log on every call with every query waiting behind it, so later
    /// calls get its error until ``Ledger/rebuildViews(progress:)`` or a reopen tries again.
    private func rebuildAfterRefusedCatchUp(
        _ error: DatabaseError,
        through last: UInt64,
        after failure: LedgerError
    ) throws {
        if let earlier = threadState.failedRebuild {
            throw recoveryFailed(
                after: failure,
                in: "catching the read model up from the log",
                error,
                outlook: "rebuilding it from the log failed already (\(earlier.message)) and is not tried again on its "
                    + "own: the acknowledged writes are safe in the log; rebuildViews() or a reopen tries again"
            )
        }
        options.logger.warning(
            "rebuilding the read model from the log: SQLite refused to catch it up",
            metadata: ["error": "\(error)", "events": "\(last)"]
        )
        do {
            try ReadModelBuilder.rebuildLive(
                readModel,
                directory: threadState.log.directory,
                through: last,
                options: options,
                progress: nil
            )
        } catch let rebuildError {
            let refusal = recoveryFailed(
                after: failure,
                in: "rebuilding the read model from the log after SQLite refused to catch it up (\(error))",
                rebuildError,
                outlook: "the acknowledged writes are safe in the log; the rebuild is not tried again on its own: "
                    + "rebuildViews() or a reopen tries again"
            )
            threadState.failedRebuild = Self.ledgerError(rebuildError, context: "rebuilding the read model")
            throw refusal
        }
    }

    /// Forgets a failed recovery, and a failed automatic rebuild, once the read model was rebuilt
    /// from the log on purpose (``Ledger/rebuildViews(progress:)``), so that the next call
    /// recovers at once instead of getting the old error. On the writer thread, in an
    /// ``exclusive(_:)`` task.
    func forgetFailedRecovery() {
        threadState.failedRecovery = nil
        threadState.failedRebuild = nil
    }

    /// The refusal for a recovery whose `step` failed with `error` after `failure` stopped the
    /// store; calls within ``recoveryRetryDelay`` get it without another attempt. `outlook`
    /// ends the message: what the caller can expect.
    private func recoveryFailed(
        after failure: LedgerError,
        in step: String,
        _ error: any Error,
        outlook: String
    ) -> LedgerError {
        let reason = Self.ledgerError(error, context: step)
        let refusal = LedgerError(
            .writerFailed,
            "an earlier write failed (\(failure.message)) and \(step) failed too (\(reason.message)); "
                + outlook,
            underlying: reason
        )
        threadState.failedRecovery = (ContinuousClock.now, refusal)
        return refusal
    }

    /// Recovers the log in place when a failed write, fsync or cut stopped it
    /// (``EventLog/recoverAfterFailure(keeping:)``); what the writer kept from before goes.
    private func recoverLog(_ log: EventLog) throws {
        guard log.hasFailed else {
            return
        }
        // A disk that stays full would otherwise cost a recovery per call
        // (LedgerOptions.logRecoveryInterval).
        if let at = threadState.logRecoveredAt, ContinuousClock.now < at + options.logRecoveryInterval {
            throw LedgerError(
                .writerFailed,
                "the log failed again less than \(options.logRecoveryInterval) after its last recovery "
                    + "(or attempt); it is recovered again once that much time has passed"
            )
        }
        // Also after a failed attempt: a log refused as damaged would cost a recovery per call.
        threadState.logRecoveredAt = ContinuousClock.now
        try log.recoverAfterFailure(keeping: lastSequence)
        threadState.forgetKeptState()
        // The recovery synced every acknowledged frame.
        threadState.unsyncedSince = nil
    }

    /// Checkpoints the read model's WAL once it has grown past the threshold (see
    /// ``WALCheckpointer``). A failed checkpoint loses nothing: the WAL keeps the pages, and the
    /// next one tries again.
    private func checkpointIfDue() {
        guard threadState.walCheckpointer.isDue else {
            return
        }
        threadState.phaseClock?.start()
        defer { threadState.phaseClock?.mark(.maintenance) }
        do {
            try readModel.pool.writeWithoutTransaction { db in try threadState.walCheckpointer.checkpoint(db) }
        } catch {
            options.logger.warning("WAL checkpoint of the read model failed", metadata: ["error": "\(error)"])
        }
    }

    private func finish(_ continuation: CheckedContinuation<Void, Never>) {
        readModel.pool.writeWithoutTransaction { db in threadState.walCheckpointer.uninstall(from: db) }
        syncer.stop()
        if threadState.unsyncedSince != nil {
            syncForInterval()
        }
        if threadState.log.hasFailed {
            // So that the reopen does not find a frame whose caller got an error, when its cut
            // failed; what the recovery does (cuts, syncs) is worth one more try at close.
            do {
                try threadState.log.recoverAfterFailure(keeping: lastSequence)
            } catch {
                options.logger.error(
                    "could not recover the log at close; the next open recovers it",
                    metadata: ["error": "\(error)"]
                )
            }
        }
        // The log's identity is recorded with its first frame, and again by a recovery after a
        // failed write; this records it when the record at open failed (it is only logged
        // there), before the log closes, which releases the store's lock. Nothing is written
        // when it is recorded already.
        if queue.withLock({ $0.failure == nil }), threadState.log.lastSequence > 0,
            let identity = ReadModelBuilder.readLogIdentity(directory: threadState.log.directory, options: options)
        {
            try? readModel.recordLogIdentity(identity)
        }
        // The log's head, so that the next open tells this log from a copy of the store that
        // went on writing on its own without reading the log (LogDivergence).
        if queue.withLock({ $0.failure == nil }), !threadState.log.hasFailed,
            applied.value == threadState.log.lastSequence, threadState.log.lastSequence > 0
        {
            do {
                // The head recorded proves these events durable (DurableThrough): with
                // `interval` or `none` they may not be yet (a no-op when nothing is unsynced).
                try threadState.log.sync()
                try readModel.recordClosedHead(
                    sequence: threadState.log.lastSequence,
                    hash: threadState.log.headHashHex
                )
            } catch {
                options.logger.warning(
                    "could not record the log's head in the read model",
                    metadata: ["error": "\(error)"]
                )
            }
        }
        threadState.log.close()
        // Finalize the prepared statements on this thread, before the connection closes.
        threadState.projection = nil
        threadState.statements = nil
        continuation.resume()
    }

    /// The error for a write refused because an earlier one failed.
    static func refusal(after failure: LedgerError) -> LedgerError {
        LedgerError(
            .writerFailed,
            "an earlier write failed, so the store refuses writes until it recovers: " + failure.message,
            underlying: failure
        )
    }

    static func ledgerError(_ error: any Error, context: String) -> LedgerError {
        if let error = error as? LedgerError {
            return error
        }
        if let error = error as? DatabaseError {
            return LedgerError(
                .sqlite,
                "\(context) failed (SQLite): \(error.message ?? "\(error)")",
                underlying: error
            )
        }
        return LedgerError(.io, "\(context) failed: \(error)")
    }
}
