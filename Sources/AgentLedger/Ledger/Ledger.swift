import Foundation
import GRDB
import Logging
import Synchronization

/// An open AgentLedger store: the entry point of the library.
///
/// A store is a directory holding the event log (`log/`, the source of truth), the writer lock
/// (`LOCK`) and the read model (`views.sqlite`, rebuilt from the log whenever needed).
///
/// ```swift
/// let ledger = try await Ledger.open(at: "/var/lib/agent/ledger")
/// let session = ledger.session("chat-42", settings: SessionSettings(limit: 50))
/// try await session.addItems([try SessionItem(json: #"{"role":"user","content":"hi"}"#)])
/// let recent = try await session.items(limit: 20)
/// try await ledger.close()
/// ```
///
/// One process at a time may open a store for writing; others may open it with
/// `LedgerOptions(readOnly: true)` and read while it writes.
public final class Ledger: Sendable {
    /// The store directory.
    public let directory: String
    /// The options the store was opened with.
    public let options: LedgerOptions

    let readModel: ReadModel
    let writer: LedgerWriter?
    /// The first ``close()``'s work, which every later call awaits; set, the ledger is closed.
    private let closing = Mutex<Task<Void, any Error>?>(nil)

    private init(directory: String, options: LedgerOptions, readModel: ReadModel, writer: LedgerWriter?) {
        self.directory = directory
        self.options = options
        self.readModel = readModel
        self.writer = writer
    }

    /// Opens the store at `path`, creating it if needed, with its missing parent directories
    /// (as `mkdir -p`).
    ///
    /// For writing, this takes the store's lock, recovers the log (a torn tail from a crash is
    /// truncated and reported through `options.logger`), and brings the read model up to date:
    /// caught up from its checkpoint, or rebuilt from the log when it is missing, damaged, of
    /// another schema, ahead of the log, or changed so that SQLite refuses the catch-up (a
    /// trigger or constraint of its own; copied into the live file when another process has
    /// it open).
    ///
    /// A log that lost events its read model shows were durable (its last frame damaged after a
    /// clean close, a deleted last segment) is refused, not cut: see ``DurableThrough``.
    ///
    /// Another opener's writer lock (a writer closing, a command-line reader catching up the
    /// read model) is waited for, up to `options.lockWait` (2 s by default).
    ///
    /// - Throws: `storeLocked` when another `Ledger` has the store open for writing, in another
    ///   process or this one (the message names its pid), for longer than `options.lockWait`;
    ///   for a read-only open, when the read model is missing while the lock's holder rebuilds
    ///   it for as long; `cancelled` when the calling task is cancelled while it waits for the
    ///   lock; `corruptLog` for damage before the
    ///   log's tail, or to events the read model shows were durable (with its location), `io`;
    ///   `invalidArgument` for options out of range (`maxItemBytes`, `segmentSizeBytes`,
    ///   `lockWait`) and for an empty path.
    public static func open(at path: String, options: LedgerOptions = LedgerOptions()) async throws -> Ledger {
        let directory = try storeDirectory(path)
        return try await waitingForLock(options) { try openNow(directory: directory, options: options) }
    }

    /// One attempt of ``open(at:options:)``, on a thread of its own.
    private static func openNow(directory: String, options: LedgerOptions) throws -> Ledger {
        if options.readOnly {
            let model: ReadModel
            do {
                model = try ReadModel.open(
                    path: directory + "/" + ReadModel.fileName,
                    readOnly: true,
                    options: options
                )
            } catch let error as LedgerError where error.code == .notFound {
                let lock = directory + "/" + StoreLock.fileName
                if FileManager.default.fileExists(atPath: directory + "/log"),
                    let holder = StoreLock.lockHolder(ofFileAt: lock)
                {
                    throw LedgerError(
                        .storeLocked,
                        "the read model of \(directory) is missing while process \(holder) holds the store's "
                            + "writer lock: it is rebuilding the read model, or about to"
                    )
                }
                throw LedgerError(
                    .notFound,
                    "no store at \(directory) (or its read model is missing): "
                        + "open it for writing once to create or rebuild it"
                )
            } catch {
                let path = directory + "/" + ReadModel.fileName
                throw ReadModelBuilder.environmentFailure(error, path: path)
                    ?? LedgerWriter.ledgerError(error, context: "opening the read model")
            }
            try checkSchema(of: model, directory: directory, options: options)
            return Ledger(directory: directory, options: options, readModel: model, writer: nil)
        }
        return try openForWriting(directory: directory, options: options, rebuild: nil).ledger
    }

    /// Refuses a read model built with other migrations than `options` name: a read-only handle
    /// cannot rebuild it, and its queries would fail on missing columns or tables (or, worse,
    /// read a view whose meaning changed). Closes `model` before throwing.
    private static func checkSchema(of model: ReadModel, directory: String, options: LedgerOptions) throws {
        let fingerprint: String?
        do {
            fingerprint = try model.status().fingerprint
        } catch {
            try? model.close()
            throw ReadModelBuilder.environmentFailure(error, path: directory + "/" + ReadModel.fileName)
                ?? LedgerWriter.ledgerError(error, context: "reading the read model's schema")
        }
        guard fingerprint == ReadModel.schemaFingerprint(options) else {
            try? model.close()
            throw LedgerError(
                .unsupportedVersion,
                "the read model of \(directory) was built with other migrations than this version's "
                    + "(it predates an upgrade, or extraMigrations differ): open the store for writing once, "
                    + "or run `agentledger rebuild`, to rebuild it from the log"
            )
        }
    }

    /// Opens the store for writing and rebuilds its read model from the log, as
    /// `agentledger rebuild` does.
    ///
    /// When no other process has the read model open, the new model is replayed into a new
    /// file and renamed into place before this process reads it: the fastest way (no copy).
    /// Otherwise the store opens as usual and ``rebuildViews(progress:)`` copies the new model
    /// into the live file, so that those readers keep a consistent view throughout; unless
    /// opening already rebuilt the model from the whole log (it was damaged, or SQLite refused
    /// to catch it up), which is then not done a second time.
    ///
    /// - Parameter progress: called on a background thread as the replay advances.
    /// - Throws: as ``open(at:options:)``; `readOnly` when `options.readOnly` is set.
    public static func openRebuildingViews(
        at path: String,
        options: LedgerOptions = LedgerOptions(),
        progress: (@Sendable (RebuildProgress) -> Void)? = nil
    ) async throws -> Ledger {
        guard !options.readOnly else {
            throw LedgerError(.readOnly, "a rebuild needs the store open for writing, not read-only")
        }
        let directory = try storeDirectory(path)
        let (ledger, rebuilt) = try await waitingForLock(options) {
            try openForWriting(
                directory: directory,
                options: options,
                rebuild: ReadModelBuilder.Rebuild(progress: progress)
            )
        }
        if !rebuilt {
            do {
                try await ledger.rebuildViews(progress: progress)
            } catch {
                try? await ledger.close()
                throw error
            }
        }
        return ledger
    }

    /// Takes the lock, recovers the log and opens (or rebuilds) the read model; `rebuilt` is
    /// whether the read model was rebuilt from the whole log while opening.
    private static func openForWriting(
        directory: String,
        options: LedgerOptions,
        rebuild: ReadModelBuilder.Rebuild?
    ) throws -> (ledger: Ledger, rebuilt: Bool) {
        guard (1...LedgerOptions.largestMaxItemBytes).contains(options.maxItemBytes) else {
            throw LedgerError(
                .invalidArgument,
                "maxItemBytes \(options.maxItemBytes) is outside 1...\(LedgerOptions.largestMaxItemBytes): "
                    + "an item must fit in one log frame and in one SQLite value"
            )
        }
        guard (1...LedgerOptions.largestMaxItemBytes).contains(options.groupCommitMaxBytes) else {
            throw LedgerError(
                .invalidArgument,
                "groupCommitMaxBytes \(options.groupCommitMaxBytes) is outside 1...\(LedgerOptions.largestMaxItemBytes): "
                    + "a group commit must fit in one log frame"
            )
        }
        let log = try EventLog.openForWriting(
            directory: directory,
            options: LogOptions(
                options,
                // Only when every frame is fsynced before the next is written: with frames
                // waiting for a later fsync, a power loss could keep a later frame's page and
                // lose an earlier one inside the reserved space, which recovery must refuse.
                preallocationBytes: options.durability == .fsync ? options.logPreallocationBytes : 0
            ),
            fileSystem: options.fileSystem,
            logger: options.logger,
            durableThrough: { DurableThrough.sequence(directory: directory, options: options) }
        )
        // The lock is held: remove what killed processes left (temporary read models).
        ReadModelLeftovers.removeAfterLocking(directory, options: options)
        do {
            let (model, rebuilt) = try ReadModelBuilder.openForWriting(
                directory: directory,
                logLastSequence: log.lastSequence,
                logHead: log.headHashHex,
                options: options,
                rebuild: rebuild
            )
            let lastTimestamp: Int64
            do {
                try model.recordWriterDurability(options.durability)
                lastTimestamp = try model.lastEventTime()
            } catch {
                try? model.close()
                throw error
            }
            // Any clock the options inject, Int64.min included: no overflow.
            let (behind, overflow) = lastTimestamp.subtractingReportingOverflow(options.clock())
            if overflow || behind > 1_000_000 {
                options.logger.warning(
                    """
                    the clock is behind the log's last event: new events are stamped with that event's time until \
                    the clock passes it, so that times never go back along the log
                    """,
                    metadata: ["behindSeconds": "\(overflow ? "too many to count" : "\(behind / 1_000_000)")"]
                )
            }
            let writer = LedgerWriter(log: log, readModel: model, options: options, lastTimestamp: lastTimestamp)
            writer.start()
            return (Ledger(directory: directory, options: options, readModel: model, writer: writer), rebuilt)
        } catch {
            log.close()
            throw LedgerWriter.ledgerError(error, context: "opening the read model")
        }
    }

    /// The absolute, standardized directory of the store at `path`.
    ///
    /// - Throws: `invalidArgument` for an empty path: it would name the current directory, and
    ///   make a store of whatever it holds.
    static func storeDirectory(_ path: String) throws -> String {
        guard !path.isEmpty else {
            throw LedgerError(.invalidArgument, "the store path is empty: name a directory (\".\" for the current one)")
        }
        return URL(fileURLWithPath: path).standardizedFileURL.path
    }

    /// A handle on the session `id`. Handles are cheap values: they hold no connection or
    /// file, so making one per request is fine. The session exists once something is added.
    public func session(_ id: String, settings: SessionSettings = SessionSettings()) -> LedgerSession {
        LedgerSession(sessionID: id, settings: settings, ledger: self)
    }

    /// Whether the store was opened read-only.
    public var isReadOnly: Bool { writer == nil }

    /// The sequence number of the newest event this handle has written or can read.
    public func headSequence() async throws -> UInt64 {
        if let writer {
            try checkOpen()
            return writer.lastSequence
        }
        return try await read { db in try Projector.checkpoint(db) }
    }

    /// Finishes every queued write, closes the log and the read model, and releases the lock.
    /// Queries whose SQL is running by then are interrupted and throw `closed`, rather than
    /// holding the close up until they end (a search or a deep verification of a large store
    /// can take seconds). Every later call on this ledger or its sessions throws `closed`.
    /// Calling it again, also while the first call runs, returns once the first has finished
    /// (with its error, if any): so when any `close()` returns, the lock is released and the
    /// store can be opened again.
    ///
    /// A writable ledger that is dropped without `close()` stays open: its writer thread keeps
    /// the store and its lock until the process exits, and opening the store again in this
    /// process throws `storeLocked`, after waiting `LedgerOptions.lockWait` for nothing. Close
    /// it on every path, errors included. (Nothing is lost
    /// either way: every acknowledged write is in the log.)
    public func close() async throws {
        let work = closing.withLock { closing in
            if let closing {
                return closing
            }
            let work = Task { [writer, readModel] in
                await writer?.close()
                // Every query that starts from now on throws `closed` (checkOpen); those already
                // running SQL end at their next step, and throw `closed` too (see `query`).
                readModel.interruptQueries()
                // On a thread of its own: closing the read model waits for the queries in flight,
                // whose tasks need a thread of the cooperative pool to end. Blocking one per
                // close, several closes (of several ledgers) could hold the whole pool and wait
                // for those queries forever.
                try await BlockingWork.run(name: "agentledger-close") {
                    do {
                        try readModel.close()
                    } catch {
                        throw LedgerWriter.ledgerError(error, context: "closing the read model")
                    }
                }
            }
            closing = work
            return work
        }
        try await work.value
    }

    func checkOpen() throws {
        if closing.withLock({ $0 != nil }) {
            throw LedgerError(.closed, "the ledger at \(directory) is closed")
        }
    }

    /// Sends a command to the writer.
    func write(_ command: WriteCommand) async throws -> WriteOutcome {
        try checkOpen()
        guard let writer else {
            throw LedgerError(.readOnly, "the ledger at \(directory) was opened read-only")
        }
        return try await writer.submit(command)
    }

    /// Runs a query on one of the read model's read-only connections, in one read transaction,
    /// once the read model shows every write this ledger has acknowledged.
    ///
    /// - Parameter sequence: a sequence number the query reads as of. A read-only handle whose
    ///   read model has not reached it (a writer in another process acknowledged it a moment
    ///   ago) runs the query again until it has, for up to
    ///   ``LedgerOptions/readOnlyAsOfWait``, then answers as it is.
    func read<T: Sendable>(
        reaching sequence: UInt64? = nil,
        _ body: @escaping @Sendable (Database) throws -> T
    ) async throws -> T {
        do {
            return try await readOpen(reaching: sequence, body)
        } catch is CancellationError {
            throw LedgerError(.cancelled, "the query's task was cancelled")
        }
    }

    /// ``read(reaching:_:)``'s work; cancellation surfaces from it as `CancellationError`.
    private func readOpen<T: Sendable>(
        reaching sequence: UInt64?,
        _ body: @escaping @Sendable (Database) throws -> T
    ) async throws -> T {
        try checkOpen()
        if let writer {
            try await writer.waitUntilApplied()
            // The wait may have outlasted a close.
            try checkOpen()
        } else if let sequence, options.readOnlyAsOfWait > .zero {
            let deadline = ContinuousClock.now + options.readOnlyAsOfWait
            while ContinuousClock.now < deadline {
                // Checked in the query's own transaction: no extra read when it has been reached.
                let answer = try await query { db -> T? in
                    try Projector.checkpoint(db) >= sequence ? body(db) : nil
                }
                if let answer {
                    return answer
                }
                try await Task.sleep(for: .microseconds(500))
                try checkOpen()
            }
        }
        return try await query(body)
    }

    /// Runs `body` in one read transaction on a read-only connection; SQLite's errors become
    /// ``LedgerError/Code/sqlite``.
    private func query<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await readModel.pool.unsafeRead { db in
                try db.inCachedTransaction(immediate: false) { try body(db) }
            }
        } catch let error as LedgerError {
            throw error
        } catch let error as DatabaseError {
            // A close that ran meanwhile closed the connection under the query: say that, not
            // what SQLite made of it.
            try checkOpen()
            // GRDB interrupts the connection of a cancelled task's query, and reports it as
            // `CancellationError` from the statements it steps; a statement stepped through
            // SQLite's C API (``ReadModel/items(_:session:branch:limit:asOf:)`` after its first
            // row) gets SQLite's error.
            if error.resultCode == .SQLITE_INTERRUPT, Task.isCancelled {
                throw CancellationError()
            }
            if ReadModel.isDamage(error) {
                throw LedgerError(
                    .sqlite,
                    "query failed: \(error.message ?? "\(error)"): the read model is damaged. "
                        + ReadModel.damageAdvice,
                    underlying: error
                )
            }
            throw LedgerError(.sqlite, "query failed: \(error.message ?? "\(error)")", underlying: error)
        }
    }
}
