import Foundation
import GRDB

extension Ledger {
    /// Checks the log of the store at `path` without opening the store (no lock, no change):
    /// every frame's checksum, sequence continuity, segment headers and the hash chain, and that
    /// every frame's events decode (`corruptLog` otherwise, as every reader of the store would
    /// refuse them; events of a newer encoding version are not damage and not reported). A tail
    /// or a last segment that lost events the read model shows were durable (``DurableThrough``)
    /// is reported as damage (`corruptLog`), not as a torn tail, since opening refuses it; so is
    /// a frame that no longer has the hash the read model recorded at the last clean close
    /// (``ClosedHeadCheck``: the last frame rewritten, or the whole chain recomputed), and, when
    /// it recorded one, a log whose first frame is not that of the log the model was built from.
    ///
    /// - Parameter expectedHead: a head recorded earlier (`sequence:hash`); the result says
    ///   whether the log still extends it, proving nothing up to it was rewritten.
    /// - Throws: `invalidArgument` for an empty path.
    public static func verifyLog(at path: String, expectedHead: LogHead? = nil) async throws -> LogVerification {
        let directory = try storeDirectory(path)
        return try await BlockingWork.run(name: "agentledger-verify") {
            // Read first: the log only grows, so what the model proves now the log held then.
            // The read model opened once for both of what it proves.
            let model = DurableThrough.modelStatus(directory: directory, options: LedgerOptions())
            let durable = model.map { DurableThrough.sequence($0.status, logIdentity: $0.logIdentity) } ?? 0
            let closedHead = model.flatMap { ClosedHeadCheck.recordedHead($0.status, logIdentity: $0.logIdentity) }
            var verification = Self.settledVerification {
                LogReader.verify(directory: directory, expectedHead: expectedHead, decodingEvents: true)
            }
            Self.checkDurable(&verification, through: durable)
            Self.addSalvageHint(&verification)
            // After the hint, which it must not get: as with a broken hash chain, nothing
            // tells which frame changed (a whole chain recomputed), so none is known intact.
            if let closedHead, verification.problems.isEmpty {
                ClosedHeadCheck.check(&verification, against: closedHead, directory: directory)
            }
            return verification
        }
    }

    /// Adds to the first damaged frame that verify found how to copy the intact events before
    /// it out (``LogReader/salvageHint(intactThrough:)``). Not to a broken hash chain: either of
    /// its two frames may be the one that changed.
    static func addSalvageHint(_ verification: inout LogVerification) {
        guard
            let index = verification.problems.firstIndex(where: { $0.code == .corruptLog }),
            case let problem = verification.problems[index],
            !problem.message.contains("hash chain"),
            let intact = problem.intactThrough ?? problem.location?.sequence.map({ $0 > 0 ? $0 - 1 : 0 }), intact > 0
        else {
            return
        }
        verification.problems[index] = LogProblem(
            code: problem.code,
            message: problem.message + LogReader.salvageHint(intactThrough: intact),
            location: problem.location,
            intactThrough: problem.intactThrough
        )
    }

    /// How many times ``settledVerification(_:)`` reads the log again while its problems change.
    static let verificationRereads = 5

    /// Runs `verify` until it finds no problem, or the same problems twice in a row (at most
    /// ``verificationRereads`` more times), and returns that result.
    ///
    /// Another process may be writing the log meanwhile: a frame it is appending can be read half
    /// written, and on close it cuts the reserved zeros of its last segment, so a read can end
    /// short of where the file size said it would. Such a problem is gone, or has moved, when the
    /// log is read again; damage is where it was.
    static func settledVerification(_ verify: () -> LogVerification) -> LogVerification {
        var verification = verify()
        for _ in 0..<verificationRereads where !verification.problems.isEmpty {
            usleep(10_000)
            let again = verify()
            if again.problems == verification.problems {
                break
            }
            verification = again
        }
        return verification
    }

    /// Reports what the read model shows was durable and the log no longer holds
    /// (``DurableThrough``): a "torn" tail starting at or before it becomes damage, and a log
    /// ending before it without a problem gets one.
    static func checkDurable(_ verification: inout LogVerification, through durable: UInt64) {
        guard durable > verification.lastSequence else {
            return
        }
        let proof = "the read model shows that the log held events through \(durable) durably"
        if let index = verification.problems.firstIndex(where: { $0.code == .truncatedTail }) {
            let torn = verification.problems[index]
            // What verify says of a torn tail (a crash's incomplete write, which opening
            // repairs) is not so here: keep what it found, not what it concluded.
            let found = torn.message.components(separatedBy: ": a ").first ?? torn.message
            verification.problems[index] = LogProblem(
                code: .corruptLog,
                message: "\(found): damage, not the incomplete write of a crash, since \(proof); "
                    + "opening the store refuses it",
                location: torn.location
            )
        } else if verification.problems.isEmpty {
            verification.problems.append(
                LogProblem(
                    code: .corruptLog,
                    message: "the log ends at sequence \(verification.lastSequence), but \(proof): segment files "
                        + "are missing or were cut; opening the store refuses it",
                    location: nil
                )
            )
        }
    }

    /// Rebuilds the read model from the log into a temporary file and compares it, table by
    /// table, with the live one at the same sequence number. Returns the differences (empty
    /// when they agree); a live read model SQLite finds damaged (in its queries or in its
    /// `integrity_check`) is one.
    ///
    /// - Throws: `cancelled` when the calling task is cancelled while it waits for the read
    ///   model to show this ledger's acknowledged writes (the comparison itself runs to its end).
    public func verifyReadModel() async throws -> [String] {
        try checkOpen()
        // As every query: not while the read model lacks acknowledged writes.
        do {
            try await writer?.waitUntilApplied()
        } catch is CancellationError {
            throw LedgerError(.cancelled, "the verification's task was cancelled")
        }
        try checkOpen()
        let directory = directory
        let options = options
        let model = readModel
        return try await BlockingWork.run(name: "agentledger-verify-deep") { [self] in
            let live: (checkpoint: UInt64, digest: ReadModelDigest, integrity: [String])
            do {
                live = try model.pool.read { db in
                    // SQLite's own check too: damage in pages that no row the digest reads lies
                    // in (an index of SQLite's, a free page) leaves the rows intact.
                    (
                        try Projector.checkpoint(db), try ReadModelDigest(db),
                        try String.fetchAll(db, sql: "PRAGMA integrity_check(10)")
                    )
                }
            } catch let error as DatabaseError where ReadModel.isDamage(error) {
                // What this verification looks for: the read model differs from its log.
                return ["the read model is damaged (SQLite: \(error.message ?? "\(error)")). " + ReadModel.damageAdvice]
            } catch let error as DatabaseError where error.resultCode == .SQLITE_INTERRUPT {
                // A close interrupted the reading.
                try checkOpen()
                throw LedgerWriter.ledgerError(error, context: "reading the read model to compare it")
            } catch {
                throw ReadModelBuilder.environmentFailure(error, path: directory + "/" + ReadModel.fileName)
                    ?? LedgerWriter.ledgerError(error, context: "reading the read model to compare it")
            }
            if live.integrity != ["ok"] {
                return [
                    "the read model is damaged (SQLite's integrity_check: \(live.integrity.joined(separator: "; "))). "
                        + ReadModel.damageAdvice
                ]
            }
            // A verification killed before it removed its temporary model leaves it behind.
            ReadModelLeftovers.removeStaleVerifications(in: directory, options: options)
            let copy = ReadModelLeftovers.verifyPath(directory: directory, pid: Syscalls.processID())
            do {
                let rebuilt = try Ledger.rebuiltDigest(
                    at: copy,
                    directory: directory,
                    through: live.checkpoint,
                    options: options
                )
                return live.digest.differences(from: rebuilt)
            } catch {
                // A full disk or an I/O error while building the copy to compare is the
                // environment's (io), not a fault of the read model.
                throw ReadModelBuilder.environmentFailure(error, path: copy)
                    ?? LedgerWriter.ledgerError(error, context: "rebuilding the read model to compare it")
            }
        }
    }

    /// The digest of a read model built from the log up to `checkpoint` at `path`, removed
    /// afterwards: what ``verifyReadModel()`` compares the live one with.
    private static func rebuiltDigest(
        at path: String,
        directory: String,
        through checkpoint: UInt64,
        options: LedgerOptions
    ) throws -> ReadModelDigest {
        defer { ReadModelBuilder.removeDatabaseFiles(path) }
        let queue = try ReadModelBuilder.build(
            at: path,
            directory: directory,
            through: checkpoint,
            options: options,
            progress: nil
        )
        let rebuilt = try queue.read { db in try ReadModelDigest(db) }
        try queue.close()
        return rebuilt
    }

    /// Replays the whole log into a new read model and swaps it in atomically: readers see the
    /// old one until the new one is complete. Writes wait meanwhile.
    ///
    /// - Parameter progress: called on a background thread as the replay advances.
    public func rebuildViews(progress: (@Sendable (RebuildProgress) -> Void)? = nil) async throws {
        try checkOpen()
        guard let writer else {
            throw LedgerError(.readOnly, "the ledger at \(directory) was opened read-only: rebuild needs the writer")
        }
        let directory = directory
        let options = options
        let model = readModel
        try await writer.exclusive { _ in
            // The acknowledged end: after a failed write the log may still count a frame that
            // its recovery will cut.
            let last = writer.lastSequence
            do {
                try ReadModelBuilder.rebuildLive(
                    model,
                    directory: directory,
                    through: last,
                    options: options,
                    progress: progress
                )
            } catch {
                // SQLite's own errors (a full disk while the new model is built) as the ledger's.
                throw LedgerWriter.ledgerError(error, context: "rebuilding the read model")
            }
            writer.forgetFailedRecovery()
            options.logger.info("read model rebuilt", metadata: ["events": "\(last)"])
        }
    }

    /// Creates a new, independent store at `destination` holding the log of the store at
    /// `source` up to sequence `sequence` (its read model rebuilt), to reproduce exactly what an
    /// agent saw at that moment. The source is only read; it may be open by a writer.
    ///
    /// The copy is built in a hidden directory next to `destination` (`.<name>.checkout-<pid>-…`)
    /// and moved into place only once complete (its log synced, its read model built): an
    /// interrupted checkout leaves no store at `destination`, never one with fewer events. A
    /// failed checkout removes its hidden directory; one left by a killed checkout is removed by
    /// the next checkout into the same destination. `destination` may be missing, empty, or a
    /// directory of other files that holds no store.
    ///
    /// - Throws: `notFound` when `source` holds no store (no `log/` directory);
    ///   `invalidArgument` when `source` or `destination` is empty, or when `destination`
    ///   already holds a store, is inside the store at `source` (symbolic links and `..`
    ///   resolved), or is not a directory;
    ///   `corruptLog` when the part of the log to copy is damaged, or lost at the end of the log
    ///   (the read model shows events through `sequence`, or some of them, that the log no longer
    ///   holds: ``DurableThrough``); `unsupportedVersion` when it
    ///   holds frames of a newer version; `io` when the hidden directory cannot be created.
    public static func checkout(
        from source: String,
        through sequence: UInt64,
        into destination: String,
        options: LedgerOptions = LedgerOptions()
    ) async throws -> UInt64 {
        let sourceDirectory = try storeDirectory(source)
        let destinationDirectory = URL(fileURLWithPath: destination).standardizedFileURL.path
        return try await BlockingWork.run(name: "agentledger-checkout") {
            // A directory without a log is no store: say that, before judging the destination
            // against it.
            var isDirectory: ObjCBool = false
            guard
                FileManager.default.fileExists(
                    atPath: sourceDirectory + "/" + EventLog.logDirectoryName,
                    isDirectory: &isDirectory
                ), isDirectory.boolValue
            else {
                throw LedgerError(.notFound, "no store at \(source): it has no \(EventLog.logDirectoryName)/ directory")
            }
            // The paths as given: symbolic links and `..` are resolved in order, not lexically.
            let target = try CheckoutTarget(source: source, destination: destination)
            // Read first: the log only grows, so what the model proves now the log held then.
            let durable = DurableThrough.sequence(directory: sourceDirectory, options: options)
            let reader = try checkoutReader(sourceDirectory, through: sequence)
            try DurableThrough.checkLogHolds(
                durable,
                claim: DurableThrough.claim(durable),
                logEnd: reader.lastSequence,
                through: sequence,
                outcome: ", so nothing was copied"
            )
            let staging = try CheckoutStaging.create(for: target, options: options)
            do {
                let last = try copyLog(from: reader, through: sequence, into: staging.path, options: options)
                do {
                    try ReadModelBuilder.rebuild(
                        directory: staging.path,
                        through: last,
                        options: options,
                        progress: nil
                    )
                } catch let error as LedgerError {
                    // Not the source's read model: the new store's, which a full disk can refuse.
                    throw LedgerError(
                        error.code,
                        "building the read model of the new store for \(destinationDirectory) failed: " + error.message,
                        location: error.location,
                        underlying: error
                    )
                }
                try staging.publish(as: destinationDirectory)
                return last
            } catch {
                // A failed checkout leaves nothing behind: the destination was never touched.
                staging.discard()
                throw error
            }
        }
    }

    /// The log at `directory` to copy through `sequence`: read to its end, or, when its last
    /// segment holds damage with valid frames after it and `sequence` lies before the damage,
    /// read up to the damage, so that the intact events can still be copied out of a damaged
    /// log (as its error message advises).
    private static func checkoutReader(_ directory: String, through sequence: UInt64) throws -> LogReader {
        do {
            return try LogReader.open(directory: directory)
        } catch let error as LedgerError where error.code == .corruptLog {
            // Damage inside the last segment, with valid frames after it: the error names the
            // intact end, and the events before the damage can be copied.
            if let intact = try? LogReader.open(directory: directory, endingBeforeDamage: true),
                intact.damagedAfter != nil
            {
                guard sequence <= intact.lastSequence else {
                    throw error
                }
                return intact
            }
            // Damage in a segment that starts after `sequence` (or one that does not belong to
            // this log): the segments before it hold the events to copy.
            guard
                let before = try? LogReader.open(
                    directory: directory,
                    endingBeforeDamage: true,
                    segmentsStartingThrough: sequence
                )
            else {
                throw error
            }
            guard sequence <= before.lastSequence else {
                throw LedgerError(
                    error.code,
                    error.message + LogReader.salvageHint(intactThrough: before.lastSequence),
                    location: error.location,
                    underlying: error
                )
            }
            return before
        }
    }

    /// Writes the events of `reader` up to `sequence` into a new log at `directory`, synced;
    /// returns the last sequence number copied.
    private static func copyLog(
        from reader: LogReader,
        through sequence: UInt64,
        into directory: String,
        options: LedgerOptions
    ) throws -> UInt64 {
        let log = try EventLog.openForWriting(
            directory: directory,
            // Written in bulk and fsynced once at the end: nothing to gain from reserved space.
            options: LogOptions(options, preallocationBytes: 0),
            fileSystem: SystemFileSystem(),
            logger: options.logger
        )
        defer { log.close() }
        let last = min(sequence, reader.lastSequence)
        guard last > 0 else {
            return 0
        }
        var frames = reader.frames(from: 1, through: last)
        while let frame = try frames.next() {
            var events = try EventCodec.decode(frame)
            events.removeAll { $0.sequence > last }
            guard !events.isEmpty else {
                break
            }
            try log.append(
                firstSequence: events[0].sequence,
                eventCount: events.count,
                payload: EventCodec.encode(events)
            )
        }
        try log.sync()
        return last
    }
}
