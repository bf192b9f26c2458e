import Foundation
import GRDB
import Glibc
import Logging

/// Brings the read model in line with the log: catch-up from the checkpoint, or a full rebuild,
/// into a new file that replaces the old one atomically, or, when another process has the model
/// open, copied into the live file in one transaction (readers never see a half-built view).
enum ReadModelBuilder {
    /// How often a replay reports progress and commits, in events.
    static let eventsPerTransaction = 20_000

    /// The name of the new read model a rebuild replays the log into, next to the live one.
    static let rebuildFileName = ReadModel.fileName + ".rebuild"

    /// A rebuild asked for when opening (``Ledger/openRebuildingViews(at:options:progress:)``).
    struct Rebuild {
        let progress: (@Sendable (RebuildProgress) -> Void)?
    }

    /// Opens the read model of `directory`, rebuilding it when it is missing, unreadable, of
    /// another schema, ahead of the log, or built from another log (its recorded
    /// ``LogIdentity`` differs; it records the log's when it has none) or from a copy of this
    /// one that diverged from it (``LogDivergence``; `logHead` is the log's head hash, in hex),
    /// and catching it up
    /// otherwise (rebuilding it when SQLite refuses the catch-up for a fault of the read
    /// model's own, ``rebuildCures(_:)``).
    /// With `rebuild`, it is rebuilt by replacing the file when no other process has it open.
    /// `rebuilt` says whether it was rebuilt from the whole log, either way; when a rebuild was
    /// asked for and this is false, the caller rebuilds it online.
    static func openForWriting(
        directory: String,
        logLastSequence: UInt64,
        logHead: String,
        options: LedgerOptions,
        rebuild requested: Rebuild? = nil
    ) throws -> (model: ReadModel, rebuilt: Bool) {
        // A safeguard: a log whose identity cannot be read is checked no further.
        let identity = readLogIdentity(directory: directory, options: options)
        let opened = try openChecked(
            directory: directory,
            logLastSequence: logLastSequence,
            logHead: logHead,
            logIdentity: identity,
            options: options,
            rebuild: requested
        )
        if let identity {
            do {
                try opened.model.recordLogIdentity(identity)
            } catch {
                options.logger.warning(
                    "could not record the log's identity in the read model",
                    metadata: ["error": "\(error)"]
                )
            }
        }
        return opened
    }

    /// Records the ``LogIdentity`` of the log of `directory` in a new read model built from
    /// it, before it replaces the live one or is copied into it (a copy replaces every page,
    /// the identity recorded there included). A safeguard: a failure is only logged.
    private static func recordLogIdentity(in queue: DatabaseQueue, directory: String, options: LedgerOptions) {
        guard let identity = readLogIdentity(directory: directory, options: options) else {
            return
        }
        do {
            try ReadModel.recordLogIdentity(identity, in: queue)
        } catch {
            options.logger.warning(
                "could not record the log's identity in the rebuilt read model",
                metadata: ["error": "\(error)"]
            )
        }
    }

    /// The ``LogIdentity`` of the log of `directory`, or nil (with a warning) when it cannot
    /// be read.
    static func readLogIdentity(directory: String, options: LedgerOptions) -> String? {
        do {
            return try LogIdentity.read(directory: directory, fileSystem: options.fileSystem)
        } catch {
            options.logger.warning("could not read the log's identity", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// ``openForWriting(directory:logLastSequence:logHead:options:rebuild:)`` before the log's
    /// identity is recorded in the model.
    private static func openChecked(
        directory: String,
        logLastSequence: UInt64,
        logHead: String,
        logIdentity: String?,
        options: LedgerOptions,
        rebuild requested: Rebuild?
    ) throws -> (model: ReadModel, rebuilt: Bool) {
        let path = directory + "/" + ReadModel.fileName
        // Only before this ledger opens the model: see ReadModelUsers. (A rebuild by renaming
        // probes again before the rename, for handles that opened the model during the replay.)
        let user = ReadModelUsers.anyOtherUser(ofDatabaseAt: path)
        guard let requested else {
            return try openCatchingUp(
                directory: directory,
                logLastSequence: logLastSequence,
                logHead: logHead,
                logIdentity: logIdentity,
                sharedWith: user,
                options: options
            )
        }
        if let user {
            let opened = try openCatchingUp(
                directory: directory,
                logLastSequence: logLastSequence,
                logHead: logHead,
                logIdentity: logIdentity,
                sharedWith: user,
                options: options,
                progress: requested.progress
            )
            if !opened.rebuilt {
                options.logger.notice(
                    "\(ReadModelUsers.describe(user)) has the read model open: rebuilding it online, copied into the live file"
                )
            }
            return opened
        }
        options.logger.info("rebuilding the read model from the log into a new file", metadata: ["path": "\(path)"])
        try rebuild(directory: directory, through: logLastSequence, options: options, progress: requested.progress)
        return (try ReadModel.open(path: path, readOnly: false, options: options), true)
    }

    /// Opens the read model of `directory` and catches it up, or rebuilds it when it must (see
    /// ``openForWriting(directory:logLastSequence:logHead:options:rebuild:)``), reporting the progress
    /// of such a rebuild to `progress`; `rebuilt` says whether it did. `user` is the other
    /// process that had the model open before this one opened it, if any: a rebuild then goes
    /// into the live file.
    private static func openCatchingUp(
        directory: String,
        logLastSequence: UInt64,
        logHead: String,
        logIdentity: String?,
        sharedWith user: pid_t?,
        options: LedgerOptions,
        progress: (@Sendable (RebuildProgress) -> Void)? = nil
    ) throws -> (model: ReadModel, rebuilt: Bool) {
        let path = directory + "/" + ReadModel.fileName
        let logger = options.logger
        // A WAL left non-empty means the last writer did not close cleanly (a clean close
        // empties it): then check the pages too, since a damaged database file next to a valid
        // WAL can still show a readable checkpoint.
        let uncleanShutdown = Ledger.fileSize(path + "-wal") > 0
        if let model = try openedUnlessBroken(path: path, options: options) {
            let status: ReadModel.Status?
            do {
                let intact =
                    try !uncleanShutdown
                    || model.pool.read { db in try String.fetchOne(db, sql: "PRAGMA quick_check") == "ok" }
                status = intact ? try model.status() : nil
            } catch {
                // A damaged file answers with SQLITE_CORRUPT and the like, which a rebuild cures;
                // a lack of descriptors, space or permission does not, and must not cost the model.
                if let failure = environmentFailure(error, path: path) {
                    try? model.close()
                    throw failure
                }
                status = nil
            }
            let reason: String?
            if let status {
                if status.fingerprint != ReadModel.schemaFingerprint(options) {
                    reason = "its schema differs from this build's migrations"
                } else if let recorded = status.logIdentity, let logIdentity, recorded != logIdentity {
                    // Before "ahead": another store's log put in place is often also shorter,
                    // and that it is another log is what the user needs to hear.
                    reason =
                        "it was built from another log (the first frames differ: \(recorded.prefix(16))… in the model, \(logIdentity.prefix(16))… in the log)"
                } else if status.checkpoint > logLastSequence {
                    reason = "it is ahead of the log (\(status.checkpoint) > \(logLastSequence))"
                } else if let divergence = LogDivergence.reason(
                    model: model,
                    status: status,
                    logLastSequence: logLastSequence,
                    logHead: logHead,
                    directory: directory,
                    options: options
                ) {
                    reason = divergence
                } else {
                    reason = nil
                }
            } else {
                reason = "it cannot be read"
            }
            if let reason {
                logger.warning("rebuilding the read model from the log: \(reason)", metadata: ["path": "\(path)"])
                // A readable model is rebuilt in place when another process reads it: a new file
                // renamed over it would leave that process reading the old one, never updated.
                do {
                    if status != nil,
                        try rebuildOnlineIfShared(
                            model,
                            with: user,
                            directory: directory,
                            through: logLastSequence,
                            options: options,
                            progress: progress
                        )
                    {
                        return (model, true)
                    }
                } catch {
                    try? model.close()
                    throw LedgerWriter.ledgerError(error, context: "rebuilding the read model")
                }
                try? model.close()
            } else if let status {
                guard status.checkpoint < logLastSequence else {
                    return (model, false)
                }
                logger.info(
                    "catching up the read model",
                    metadata: ["from": "\(status.checkpoint + 1)", "to": "\(logLastSequence)"]
                )
                do {
                    try replay(
                        directory: directory,
                        into: model.pool,
                        from: status.checkpoint + 1,
                        through: logLastSequence,
                        progress: nil
                    )
                } catch let error as DatabaseError where rebuildCures(error) {
                    let rebuilt = try rebuildAfterFailedCatchUp(
                        model,
                        sharedWith: user,
                        error: error,
                        directory: directory,
                        through: logLastSequence,
                        options: options,
                        progress: progress
                    )
                    return (rebuilt, true)
                } catch {
                    try? model.close()
                    throw error
                }
                return (model, false)
            }
        } else if FileManager.default.fileExists(atPath: path) {
            logger.warning("rebuilding the read model from the log: it cannot be opened", metadata: ["path": "\(path)"])
        } else if logLastSequence > 0 {
            logger.warning("rebuilding the read model from the log: it is missing", metadata: ["path": "\(path)"])
        }
        try rebuild(directory: directory, through: logLastSequence, options: options, progress: progress)
        return (try ReadModel.open(path: path, readOnly: false, options: options), true)
    }

    /// Opens the read model at `path`; nil when it cannot be opened for a reason a rebuild
    /// cures (a damaged or foreign file). Throws ``environmentFailure(_:path:)``'s error for a
    /// reason it does not.
    private static func openedUnlessBroken(path: String, options: LedgerOptions) throws -> ReadModel? {
        do {
            return try ReadModel.open(path: path, readOnly: false, options: options)
        } catch {
            if FileManager.default.fileExists(atPath: path), let failure = environmentFailure(error, path: path) {
                throw failure
            }
            return nil
        }
    }

    /// The error to report, instead of rebuilding, when SQLite failed on the read model for a
    /// reason outside the file: no descriptor, memory, space or permission left, an I/O error.
    /// A rebuild would fail the same way, or replace a sound model for nothing.
    static func environmentFailure(_ error: any Error, path: String) -> LedgerError? {
        guard let error = error as? DatabaseError else {
            return nil
        }
        switch error.resultCode {
        case .SQLITE_CANTOPEN, .SQLITE_FULL, .SQLITE_NOMEM, .SQLITE_IOERR, .SQLITE_PERM, .SQLITE_READONLY:
            var message = "cannot use the read model \(path): \(error.message ?? "\(error)")"
            if error.resultCode == .SQLITE_CANTOPEN, let limit = OpenFileLimit.current(), limit < OpenFileLimit.needed {
                message +=
                    " (the limit on open files is \(limit), `ulimit -n`; a store needs about \(OpenFileLimit.needed))"
            }
            // A read-only open still creates the WAL's shared memory next to the file.
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
            if [.SQLITE_CANTOPEN, .SQLITE_READONLY, .SQLITE_PERM].contains(error.resultCode),
                access(directory, W_OK) != 0
            {
                message += StoreLock.readOnlyDirectoryHint
            } else if [.SQLITE_READONLY, .SQLITE_PERM].contains(error.resultCode), access(path, W_OK) != 0 {
                message +=
                    " (the read model file refuses writes: give this user write permission on it, or clear its "
                    + "immutable flag, or remove it and the next writing open rebuilds it from the log)"
            }
            return LedgerError(.io, message, underlying: error)
        default:
            return nil
        }
    }

    /// Whether SQLite's refusal of a catch-up comes from the read model itself, which a
    /// rebuild from the log replaces: a constraint or trigger of its own (a read model changed
    /// behind the ledger's back), a missing table or column, damaged pages. Not a busy or
    /// read-only database, a full disk, an I/O error or a value too big for SQLite, which a
    /// rebuild would meet again after replaying the whole log; nor a COMMIT refused by a commit
    /// hook, which belongs to the connection, not to the file.
    static func rebuildCures(_ error: DatabaseError) -> Bool {
        if error.extendedResultCode == .SQLITE_CONSTRAINT_COMMITHOOK {
            return false
        }
        switch error.resultCode {
        case .SQLITE_CONSTRAINT, .SQLITE_ERROR, .SQLITE_CORRUPT, .SQLITE_NOTADB, .SQLITE_MISMATCH, .SQLITE_SCHEMA:
            return true
        default:
            return false
        }
    }

    /// Rebuilds `model` from the log after SQLite refused its catch-up with `error`: into a new
    /// file renamed over it when no other process has it open, else copied into the live file
    /// (``rebuildLive(_:directory:through:options:progress:)``), so that those readers keep a
    /// consistent view. Closes `model` when it throws, with both errors in the message.
    private static func rebuildAfterFailedCatchUp(
        _ model: ReadModel,
        sharedWith user: pid_t?,
        error: DatabaseError,
        directory: String,
        through last: UInt64,
        options: LedgerOptions,
        progress: (@Sendable (RebuildProgress) -> Void)?
    ) throws -> ReadModel {
        let path = directory + "/" + ReadModel.fileName
        options.logger.warning(
            "rebuilding the read model from the log: SQLite refused to catch it up",
            metadata: ["path": "\(path)", "error": "\(error)"]
        )
        do {
            if try rebuildOnlineIfShared(
                model,
                with: user,
                directory: directory,
                through: last,
                options: options,
                progress: progress
            ) {
                return model
            }
            try model.close()
            try rebuild(directory: directory, through: last, options: options, progress: progress)
            return try ReadModel.open(path: path, readOnly: false, options: options)
        } catch let rebuildError {
            try? model.close()
            let failure = LedgerWriter.ledgerError(rebuildError, context: "rebuilding the read model")
            throw LedgerError(
                failure.code,
                "SQLite refused to catch up the read model (\(error.message ?? "\(error)")), and rebuilding it from "
                    + "the log failed too: \(failure.message)",
                location: failure.location,
                underlying: failure
            )
        }
    }

    /// Rebuilds `model` with ``rebuildLive(_:directory:through:options:progress:)`` when
    /// another process, `user`, has it open, so that process goes on reading the file this
    /// ledger writes; returns false, doing nothing, when none has. (`user` comes from a probe
    /// made before this process opened `model`: see ``ReadModelUsers``.)
    private static func rebuildOnlineIfShared(
        _ model: ReadModel,
        with user: pid_t?,
        directory: String,
        through last: UInt64,
        options: LedgerOptions,
        progress: (@Sendable (RebuildProgress) -> Void)?
    ) throws -> Bool {
        guard let user else {
            return false
        }
        options.logger.notice(
            "\(ReadModelUsers.describe(user)) has the read model open: rebuilding it online, copied into the live file"
        )
        try rebuildLive(model, directory: directory, through: last, options: options, progress: progress)
        return true
    }

    /// Replays the log up to `last` into a new file and copies it into the live read model
    /// `model` with SQLite's backup, in one write transaction: readers (of this process or
    /// others) keep their snapshot of the old model until it commits.
    static func rebuildLive(
        _ model: ReadModel,
        directory: String,
        through last: UInt64,
        options: LedgerOptions,
        progress: (@Sendable (RebuildProgress) -> Void)?
    ) throws {
        let temporary = directory + "/" + rebuildFileName
        defer { removeDatabaseFiles(temporary) }
        let queue = try build(at: temporary, directory: directory, through: last, options: options, progress: progress)
        recordLogIdentity(in: queue, directory: directory, options: options)
        // The copy replaces every row of the live model: keep what the writer recorded there.
        try ReadModel.recordWriterDurability(options.durability, in: queue)
        try queue.backup(to: model.pool)
        try queue.close()
    }

    /// Replays the log up to `through` into a new file and moves it over `views.sqlite`, or,
    /// when a handle opened the old model while the log was replayed (a read-only one, which
    /// takes no lock), copies it into the live file (``copyIntoLiveModel(_:path:options:)``).
    /// The caller must not have the old read model open.
    static func rebuild(
        directory: String,
        through last: UInt64,
        options: LedgerOptions,
        progress: (@Sendable (RebuildProgress) -> Void)?
    ) throws {
        let path = directory + "/" + ReadModel.fileName
        let temporary = directory + "/" + rebuildFileName
        do {
            let queue = try build(
                at: temporary,
                directory: directory,
                through: last,
                options: options,
                progress: progress
            )
            recordLogIdentity(in: queue, directory: directory, options: options)
            // The caller looked for other users before the replay, which can take minutes: a
            // handle that opened the old model since would keep reading it after a rename.
            if let user = ReadModelUsers.anyOtherUser(ofDatabaseAt: path),
                copyIntoLiveModel(queue, path: path, user: user, options: options)
            {
                try queue.close()
                removeDatabaseFiles(temporary)
                return
            }
            try queue.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA journal_mode = WAL")
            }
            try queue.close()
            // Root rebuilding another user's store gives the new file that user.
            FileOwnership.adoptDirectoryOwner(ofFileAt: temporary)
            // The new file must be on disk before it replaces the old one.
            let handle = try FileHandle(forUpdating: URL(fileURLWithPath: temporary))
            try handle.synchronize()
            try handle.close()
        } catch {
            removeDatabaseFiles(temporary)
            throw LedgerWriter.ledgerError(error, context: "rebuilding the read model")
        }
        // A stale WAL next to the new file would be replayed into it: remove it first.
        for suffix in ["-wal", "-shm"] {
            try? FileManager.default.removeItem(atPath: path + suffix)
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            throw LedgerError(.io, "cannot move the rebuilt read model into place at \(path): \(reason)")
        }
        removeDatabaseFiles(temporary)
    }

    /// Copies the rebuilt model `queue` into the live read model at `path`, which `user`
    /// opened while the log was replayed, in one write transaction, as
    /// ``rebuildLive(_:directory:through:options:progress:)`` does. Returns false, with a
    /// warning, when the live file takes no copy (it is damaged, or its pages differ in size):
    /// the caller then renames the new file over it as before, and that handle keeps the old
    /// one until it is opened again.
    private static func copyIntoLiveModel(
        _ queue: DatabaseQueue,
        path: String,
        user: pid_t,
        options: LedgerOptions
    ) -> Bool {
        options.logger.notice(
            "\(ReadModelUsers.describe(user)) opened the read model during the rebuild: copying it into the live file"
        )
        do {
            // The copy replaces every row of the live model: keep what the writer recorded there.
            try ReadModel.recordWriterDurability(options.durability, in: queue)
            var configuration = Configuration()
            configuration.busyMode = .timeout(30)
            let live = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? live.close() }
            try queue.backup(to: live)
            return true
        } catch {
            options.logger.warning(
                "could not copy the rebuilt read model into the live file: replacing the file, and \(ReadModelUsers.describe(user)) reads the old one until it opens the store again",
                metadata: ["path": "\(path)", "error": "\(error)"]
            )
            return false
        }
    }

    /// Creates a read model at `path` (replacing any file there) from the log up to `through`,
    /// without a journal (the file is thrown away if anything fails), and returns it open.
    static func build(
        at path: String,
        directory: String,
        through last: UInt64,
        options: LedgerOptions,
        progress: (@Sendable (RebuildProgress) -> Void)?
    ) throws -> DatabaseQueue {
        removeDatabaseFiles(path)
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF")
        }
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        try ReadModel.migrate(queue, options: options)
        if last > 0 {
            // The full-text index is left to the writer, which fills it when idle and
            // completely before any search.
            try replay(directory: directory, into: queue, from: 1, through: last, progress: progress)
        }
        return queue
    }

    /// Applies the events `from...through` of the log to `writer`, committing every
    /// ``eventsPerTransaction`` events together with the checkpoint. Throws `corruptLog` when
    /// the log's events end before `through` (its reader takes a damaged or incomplete last
    /// frame for one not written yet).
    static func replay(
        directory: String,
        into writer: some DatabaseWriter,
        from first: UInt64,
        through last: UInt64,
        progress: (@Sendable (RebuildProgress) -> Void)?
    ) throws {
        // Decoding runs ahead on a thread of its own while this one writes SQLite.
        let events = EventPrefetcher(directory: directory, from: first, through: last)
        defer { events.stop() }
        var applied: UInt64 = 0
        var reached = first - 1
        let total = last - first + 1
        var finished = false
        while !finished {
            var inTransaction = 0
            try writer.writeWithoutTransaction { db in
                let statements = try ProjectionStatements(db)
                let context = ProjectionContext(db, statements: statements)
                try db.inTransaction {
                    var lastApplied: UInt64 = 0
                    while inTransaction < eventsPerTransaction {
                        guard let batch = try events.next() else {
                            finished = true
                            break
                        }
                        for event in batch {
                            try Projector.apply(event, in: context)
                            lastApplied = event.sequence
                            inTransaction += 1
                        }
                        if lastApplied >= last {
                            finished = true
                            break
                        }
                    }
                    if lastApplied > 0 {
                        try context.flush()
                        try Projector.setCheckpoint(lastApplied, db: db)
                        reached = lastApplied
                    }
                    return .commit
                }
            }
            applied += UInt64(inTransaction)
            progress?(RebuildProgress(applied: applied, total: total))
        }
        guard reached >= last else {
            throw LedgerError(.corruptLog, "the log's events end at sequence number \(reached), before \(last)")
        }
    }

    /// The files SQLite keeps for a database at a path: the path with these suffixes.
    static let databaseFileSuffixes = ["", "-wal", "-shm", "-journal"]

    static func removeDatabaseFiles(_ path: String) {
        for suffix in databaseFileSuffixes {
            try? FileManager.default.removeItem(atPath: path + suffix)
        }
    }
}
