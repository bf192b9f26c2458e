import Logging

/// The append side of the log: one writer, one active segment, frames appended at its end.
///
/// Not thread-safe and not `Sendable`: it is owned by the store's single writer thread, which
/// serializes every call. Opening takes the store's exclusive lock (see ``StoreLock``) and runs
/// recovery (see ``LogRecovery``); ``close()`` releases the lock.
///
/// ```swift
/// let log = try EventLog.openForWriting(directory: path, options: LogOptions(),
///                                       fileSystem: SystemFileSystem(), logger: logger)
/// try log.append(firstSequence: log.lastSequence + 1, eventCount: 3, payload: batch)
/// try log.sync()   // durable from here on
/// ```
///
/// After any failed write, fsync or segment roll-over, the log refuses every further append and
/// sync with ``LedgerError/Code/writerFailed``: the file may end in a partial frame that only
/// recovery may remove, so nothing must be written after it. Recovery runs at the next open, or
/// in place, with the lock still held, through ``recoverAfterFailure(keeping:)``.
final class EventLog {
    /// The name of the directory holding the segments, inside the store directory.
    static let logDirectoryName = "log"

    /// The store directory.
    let directory: String
    /// The `log/` directory.
    let logDirectory: String
    /// The settings in force.
    let options: LogOptions
    /// What recovery found and repaired when the log was opened.
    let recovery: RecoveryReport

    private let fileSystem: any LogFileSystem
    private let logger: Logger
    private let lock: StoreLock
    private let encoder: FrameEncoder
    private var activeHandle: LogFileHandle?
    private var activeEndOffset: Int64 = 0
    /// The size of the active segment's file: ``activeEndOffset`` plus the zeros reserved after
    /// it (see ``LogOptions/preallocationBytes``).
    private var activeFileBytes: Int64 = 0
    /// Set when reserving space failed once: the log then only appends.
    private var preallocationFailed = false
    private var head = FrameHash.zero
    private var hasUnsyncedWrites = false
    /// The last appended frame, for ``revertLastAppend()``.
    private var lastAppend: (start: Int64, previousHead: FrameHash, previousLastSequence: UInt64)?
    /// The end of the active segment when its writer last told a caller that a write was done
    /// (after a sync, or ``acknowledgeWrites()``): what a failure cuts back to.
    private var acknowledgedEndOffset: Int64 = 0
    /// The end of the active segment at its last successful sync (or roll-over, or recovery).
    /// Between it and ``acknowledgedEndOffset`` lie frames acknowledged before an fsync.
    private var syncedEndOffset: Int64 = 0
    private var failure: LedgerError?

    /// The last sequence number written (0 when the log is empty). Counts appended frames,
    /// whether or not they have been synced.
    private(set) var lastSequence: UInt64 = 0

    /// Every segment in order, the active (last) one included: the writer's index of the log.
    private(set) var segments: [LogSegmentInfo] = []

    /// The SHA-256 of the last frame, 32 bytes; zeros when the log is empty.
    var headHash: [UInt8] {
        head.bytes
    }

    /// The head hash as 64 hexadecimal digits.
    var headHashHex: String {
        head.hex
    }

    /// Whether an earlier failure makes the log refuse writes.
    var hasFailed: Bool {
        failure != nil
    }

    private init(
        directory: String,
        options: LogOptions,
        fileSystem: any LogFileSystem,
        logger: Logger,
        lock: StoreLock,
        encoder: FrameEncoder,
        outcome: LogRecovery.Outcome
    ) {
        self.directory = directory
        self.logDirectory = directory + "/" + Self.logDirectoryName
        self.options = options
        self.fileSystem = fileSystem
        self.logger = logger
        self.lock = lock
        self.encoder = encoder
        self.recovery = outcome.report
        adopt(outcome)
    }

    /// Takes the state recovery found: the segments, the open last one, the head.
    private func adopt(_ outcome: LogRecovery.Outcome) {
        segments = outcome.segments
        activeHandle = outcome.activeHandle
        activeEndOffset = outcome.segments[outcome.segments.count - 1].byteCount
        acknowledgedEndOffset = activeEndOffset
        syncedEndOffset = activeEndOffset
        activeFileBytes = outcome.activeFileBytes
        lastSequence = outcome.lastSequence
        head = outcome.head
        hasUnsyncedWrites = false
        lastAppend = nil
        preallocationFailed = false
    }

    deinit {
        close()
    }

    /// Opens for writing: creates the directory layout if missing, takes an exclusive
    /// non-blocking `flock` on `<directory>/LOCK` (writing this process's id into it), recovers,
    /// and positions at the end.
    ///
    /// A second writer (another process, or a second open in this process) fails at once with
    /// ``LedgerError/Code/storeLocked``. Damage before the tail throws
    /// ``LedgerError/Code/corruptLog`` with its location; a torn tail is truncated and reported
    /// in ``recovery`` and through `logger`.
    ///
    /// - Parameter durableThrough: called once the lock is held: the last sequence number known
    ///   to have been durable in this log (``DurableThrough``). A log that ends before it, or
    ///   whose tail from a frame at or before it fails its checks, was damaged, not torn by a
    ///   crash: that is refused with `corruptLog` and nothing is cut.
    static func openForWriting(
        directory: String,
        options: LogOptions = LogOptions(),
        fileSystem: any LogFileSystem = SystemFileSystem(),
        logger: Logger = Logger(label: "AgentLedger.log"),
        durableThrough: () -> UInt64 = { 0 }
    ) throws -> EventLog {
        guard options.segmentSizeBytes >= LogOptions.minimumSegmentSizeBytes else {
            throw LedgerError(
                .invalidArgument,
                "segmentSizeBytes \(options.segmentSizeBytes) is below the minimum of "
                    + "\(LogOptions.minimumSegmentSizeBytes)"
            )
        }
        guard options.preallocationBytes >= 0 else {
            throw LedgerError(
                .invalidArgument,
                "the log's preallocation of \(options.preallocationBytes) bytes is negative (0 turns it off)"
            )
        }
        let encoder = try FrameEncoder(
            compressionLevel: options.compressionLevel,
            dictionary: options.compressionDictionary
        )
        let logDirectory = directory + "/" + logDirectoryName
        var created = false
        if try fileSystem.createDirectoryAndAncestors(atPath: directory) {
            created = true
        }
        if try fileSystem.createDirectory(atPath: logDirectory) {
            created = true
            try fileSystem.syncDirectory(atPath: directory)
        }
        let lock = try StoreLock.acquire(directory: directory, fileSystem: fileSystem)
        do {
            let outcome = try recover(
                logDirectory: logDirectory,
                createdStore: created,
                options: options,
                fileSystem: fileSystem,
                logger: logger,
                durableThrough: durableThrough()
            )
            if outcome.lastSequence > 0, outcome.report.truncatedTail == nil {
                // What this open found is durable before anything builds on it: a read model
                // caught up from frames a crashed writer left unsynced would otherwise claim
                // events a power loss can still take (DurableThrough). A cut tail was synced.
                do {
                    try fileSystem.syncData(outcome.activeHandle)
                } catch {
                    fileSystem.closeFile(outcome.activeHandle)
                    throw error
                }
            }
            return EventLog(
                directory: directory,
                options: options,
                fileSystem: fileSystem,
                logger: logger,
                lock: lock,
                encoder: encoder,
                outcome: outcome
            )
        } catch {
            lock.release()
            throw error
        }
    }

    /// Runs recovery on the segment files and positions at the end; the caller owns the
    /// returned handle.
    private static func recover(
        logDirectory: String,
        createdStore: Bool,
        options: LogOptions,
        fileSystem: any LogFileSystem,
        logger: Logger,
        durableThrough: UInt64 = 0,
        proof: LogRecovery.DurableProof = .readModel
    ) throws -> LogRecovery.Outcome {
        var recovery = LogRecovery(fileSystem: fileSystem, logDirectory: logDirectory, logger: logger)
        recovery.proof = proof
        var outcome = try recovery.run(createdStore: createdStore, durableThrough: durableThrough)
        let end = outcome.segments[outcome.segments.count - 1].byteCount
        if options.preallocationBytes == 0, outcome.activeFileBytes > end {
            // Zeros an earlier writer reserved: without reservation this log only appends,
            // so that frames never go into allocated space in place (FORMAT.md).
            do {
                try fileSystem.truncate(outcome.activeHandle, toSize: end)
                try fileSystem.sync(outcome.activeHandle)
            } catch {
                fileSystem.closeFile(outcome.activeHandle)
                throw error
            }
            outcome.activeFileBytes = end
        }
        return outcome
    }

    /// After a failure (``hasFailed``), runs recovery on the segment files again, as the next
    /// open for writing would, with the store lock still held: the file is closed and read
    /// back, a torn tail is cut, and the log takes writes again from the end it finds. Nothing
    /// when the log has not failed.
    ///
    /// A failed fsync is not retried, and pages whose writeback failed may read back from the
    /// page cache though the disk never got them, so that a later fsync would not write them
    /// and frames synced after them would sit behind a hole. So recovery also:
    /// - cuts again whatever follows the end the callers were told about, when the cut after
    ///   the failure did not happen (their callers got an error);
    /// - writes again the frames acknowledged before an fsync (durability `interval` or
    ///   `none`) that no successful fsync covered;
    /// - syncs the active segment, so that a cut made before, whose sync failed, is durable,
    ///   and the `log/` directory, so that a segment created by a roll-over whose directory
    ///   sync failed is durable before frames go into it.
    ///
    /// - Parameter acknowledged: the last sequence number a caller was told is written; a log
    ///   that recovers to another has lost acknowledged frames (or kept others), and stays
    ///   failed.
    /// - Returns: what recovery found and repaired.
    /// - Throws: whatever recovery throws (``LedgerError/Code/corruptLog`` with the location,
    ///   `io`), or `corruptLog` when the events do not end at `acknowledged`; the log stays
    ///   failed and may be tried again.
    @discardableResult
    func recoverAfterFailure(keeping acknowledged: UInt64) throws -> RecoveryReport {
        guard let failure else {
            return RecoveryReport()
        }
        let knownSegment = segments[segments.count - 1].name
        let knownEnd = acknowledgedEndOffset
        let syncedEnd = min(syncedEndOffset, knownEnd)
        if let handle = activeHandle {
            activeHandle = nil
            fileSystem.closeFile(handle)
        }
        var outcome = try recoverFiles(keeping: acknowledged)
        let sameSegment = outcome.segments[outcome.segments.count - 1].name == knownSegment
        if sameSegment, outcome.segments[outcome.segments.count - 1].byteCount > knownEnd {
            try closing(outcome.activeHandle) { try fileSystem.truncate($0, toSize: knownEnd) }
            logger.warning(
                "cut frames from the log on recovery: the cut after the failure had failed",
                metadata: ["segment": "\(knownSegment)", "offset": "\(knownEnd)"]
            )
            fileSystem.closeFile(outcome.activeHandle)
            outcome = try recoverFiles(keeping: acknowledged)
        }
        guard outcome.lastSequence == acknowledged else {
            fileSystem.closeFile(outcome.activeHandle)
            throw LedgerError(
                .corruptLog,
                "the log at \(directory) ends at sequence \(outcome.lastSequence) after the failure "
                    + "(\(failure.message)), but the last acknowledged event is \(acknowledged)"
                    + (outcome.lastSequence < acknowledged ? ": the disk lost acknowledged frames" : "")
            )
        }
        try closing(outcome.activeHandle) { handle in
            if sameSegment, syncedEnd < knownEnd {
                try rewrite(handle, from: syncedEnd, to: knownEnd)
            }
            try fileSystem.syncData(handle)
            try fileSystem.syncDirectory(atPath: logDirectory)
        }
        adopt(outcome)
        self.failure = nil
        logger.notice(
            "the log recovered after a failed write and takes writes again",
            metadata: ["directory": "\(directory)", "last": "\(outcome.lastSequence)"]
        )
        return outcome.report
    }

    /// Recovery of the files, as at open, for ``recoverAfterFailure(keeping:)``; it refuses,
    /// cutting nothing, a damaged frame at or before `acknowledged` (the disk lost what the
    /// callers were told is written), as an open does for what the read model proves.
    private func recoverFiles(keeping acknowledged: UInt64) throws -> LogRecovery.Outcome {
        try Self.recover(
            logDirectory: logDirectory,
            createdStore: false,
            options: options,
            fileSystem: fileSystem,
            logger: logger,
            durableThrough: acknowledged,
            proof: .acknowledged
        )
    }

    /// Runs `body` on `handle`, closing it when `body` throws.
    private func closing(_ handle: LogFileHandle, _ body: (LogFileHandle) throws -> Void) throws {
        do {
            try body(handle)
        } catch {
            fileSystem.closeFile(handle)
            throw error
        }
    }

    /// Reads bytes `[start, end)` of `handle` and writes them again, 1 MiB at a time, for the
    /// caller to sync: their pages are dirty again, so the sync writes them whatever became of
    /// an earlier writeback.
    private func rewrite(_ handle: LogFileHandle, from start: Int64, to end: Int64) throws {
        var buffer = [UInt8](repeating: 0, count: Int(min(end - start, 1 << 20)))
        var offset = start
        while offset < end {
            let length = Int(min(end - offset, Int64(buffer.count)))
            try buffer.withUnsafeMutableBytes { whole in
                let chunk = UnsafeMutableRawBufferPointer(rebasing: whole[..<length])
                guard try fileSystem.read(handle, into: chunk, at: offset) == length else {
                    throw LedgerError(.io, "could not read back \(length) bytes of the log at offset \(offset)")
                }
                try fileSystem.write(handle, UnsafeRawBufferPointer(chunk), at: offset)
            }
            offset += Int64(length)
        }
        logger.notice(
            "wrote acknowledged frames again that no fsync had covered",
            metadata: ["offset": "\(start)", "bytes": "\(end - start)"]
        )
    }

    /// Compresses `payload`, frames it, and writes it to the active segment with one write,
    /// rolling over to a new segment first when the frame would make the active one exceed
    /// ``LogOptions/segmentSizeBytes``. Does not fsync: call ``sync()``.
    ///
    /// `firstSequence` must be ``lastSequence`` + 1 and `eventCount` 1 or more (preconditions:
    /// the caller assigns sequence numbers). Throws ``LedgerError/Code/invalidArgument`` for a
    /// payload above the frame limit (the log stays usable), ``LedgerError/Code/io`` when the
    /// write fails (the log then refuses further writes), ``LedgerError/Code/writerFailed``
    /// after an earlier failure, and ``LedgerError/Code/closed`` after ``close()``.
    func append(firstSequence: UInt64, eventCount: Int, payload: UnsafeRawBufferPointer) throws {
        precondition(eventCount >= 1 && eventCount <= Int(UInt32.max), "a frame holds 1 to 2^32-1 events")
        precondition(
            firstSequence == lastSequence + 1,
            "append(firstSequence: \(firstSequence)) but the log ends at \(lastSequence)"
        )
        let handle = try writableHandle()
        let (header, hash) = try encoder.encode(
            firstSequence: firstSequence,
            eventCount: eventCount,
            payload: payload,
            previousHash: head
        )
        var target = handle
        let active = segments[segments.count - 1]
        if activeEndOffset + Int64(header.frameLength) > Int64(options.segmentSizeBytes), active.frameCount > 0 {
            target = try failing { try rollOver(from: handle, nextBase: firstSequence) }
        }
        let offset = activeEndOffset
        lastAppend = (offset, head, lastSequence)
        do {
            try failing {
                try encoder.withEncodedFrame { try fileSystem.write(target, $0, at: offset) }
            }
        } catch {
            discardUnsynced(target)
            throw error
        }
        hasUnsyncedWrites = true
        activeEndOffset += Int64(header.frameLength)
        activeFileBytes = max(activeFileBytes, activeEndOffset)
        if activeFileBytes == activeEndOffset {
            reserveSpace(target)
        }
        lastSequence = header.lastSequence
        head = hash
        segments[segments.count - 1].lastSequence = header.lastSequence
        segments[segments.count - 1].frameCount += 1
        segments[segments.count - 1].byteCount = activeEndOffset
    }

    /// ``append(firstSequence:eventCount:payload:)`` for a payload in an array.
    func append(firstSequence: UInt64, eventCount: Int, payload: [UInt8]) throws {
        try payload.withUnsafeBytes { try append(firstSequence: firstSequence, eventCount: eventCount, payload: $0) }
    }

    /// `fdatasync` of the active segment, and nothing else (segments finished by a roll-over
    /// were fsynced then). Does nothing when nothing was written since the last sync. On failure
    /// throws ``LedgerError/Code/io`` and the log refuses further writes: the unsynced frames
    /// may be lost, and a retried fsync could falsely succeed.
    func sync() throws {
        let handle = try writableHandle()
        guard hasUnsyncedWrites else {
            return
        }
        do {
            try failing { try fileSystem.syncData(handle) }
        } catch {
            discardUnsynced(handle)
            throw error
        }
        hasUnsyncedWrites = false
        acknowledgedEndOffset = activeEndOffset
        syncedEndOffset = activeEndOffset
    }

    /// Cuts the last appended frame from the active segment and syncs, after a failure later
    /// in its group commit (the read model's commit) made its callers see an error: the log
    /// must not keep events nobody was told were written. The log then ends where it did
    /// before that append and takes writes again. When the cut or its sync fails, the log
    /// refuses writes until it recovers (``recoverAfterFailure(keeping:)``, which cuts again,
    /// or the next open). Nothing when no frame was appended since the last recovery or open.
    func revertLastAppend() {
        guard let handle = activeHandle, let last = lastAppend else {
            return
        }
        lastAppend = nil
        // What callers were told ends before this frame, whether or not the cut succeeds.
        acknowledgedEndOffset = min(acknowledgedEndOffset, last.start)
        syncedEndOffset = min(syncedEndOffset, last.start)
        do {
            try fileSystem.truncate(handle, toSize: last.start)
            try fileSystem.syncData(handle)
        } catch {
            logger.error("could not cut a frame from the log", metadata: ["error": "\(error)"])
            if failure == nil {
                failure = LedgerError(.io, "could not cut a frame whose group commit failed: \(error)")
            }
            return
        }
        logger.warning(
            "cut a frame from the log: its group commit failed after it was written",
            metadata: ["bytes": "\(activeEndOffset - last.start)"]
        )
        activeEndOffset = last.start
        activeFileBytes = last.start
        hasUnsyncedWrites = false
        syncedEndOffset = last.start
        head = last.previousHead
        lastSequence = last.previousLastSequence
        segments[segments.count - 1].lastSequence = last.previousLastSequence
        segments[segments.count - 1].frameCount -= 1
        segments[segments.count - 1].byteCount = last.start
    }

    /// Records that every frame written so far was acknowledged to its callers (durability
    /// modes that acknowledge before an fsync): a later failure no longer cuts them.
    func acknowledgeWrites() {
        acknowledgedEndOffset = activeEndOffset
    }

    /// After a failed write or sync, cuts the active segment back to its end at the last
    /// acknowledgement, so that frames nobody was told are durable do not reappear when the
    /// log recovers (they may sit in the page cache even though fsync failed). Best effort: if
    /// the cut fails too, ``recoverAfterFailure(keeping:)`` cuts again (a reopen would keep
    /// them), and the writer has already refused every caller of the batch.
    private func discardUnsynced(_ handle: LogFileHandle) {
        guard activeEndOffset > acknowledgedEndOffset || hasUnsyncedWrites else {
            return
        }
        do {
            try fileSystem.truncate(handle, toSize: acknowledgedEndOffset)
            logger.warning(
                "cut unacknowledged frames from the log after a failed write",
                metadata: ["bytes": "\(activeEndOffset - acknowledgedEndOffset)"]
            )
        } catch {
            logger.error("could not cut unacknowledged frames from the log", metadata: ["error": "\(error)"])
        }
    }

    /// Closes the active segment and releases the store lock; idempotent. Does not sync:
    /// frames appended since the last ``sync()`` are as durable as the operating system makes
    /// them. Cuts the space reserved after the last frame, unless a failure left the file to
    /// recovery.
    func close() {
        if let handle = activeHandle {
            activeHandle = nil
            if failure == nil, activeFileBytes > activeEndOffset {
                do {
                    try fileSystem.truncate(handle, toSize: activeEndOffset)
                } catch {
                    logger.debug("could not cut the log's reserved space at close", metadata: ["error": "\(error)"])
                }
            }
            fileSystem.closeFile(handle)
        }
        lock.release()
    }

    /// Writes zeros after the frame just appended (which ended the file), so that the next
    /// frames overwrite allocated blocks: an `fdatasync` that does not grow the file skips the
    /// file system's journal commit (p50 160–170 against 226–248 µs here; see
    /// Benchmarks/NOTEBOOK.md).
    /// As many bytes as the segment's frames so far, at least 64 KiB and at most
    /// ``LogOptions/preallocationBytes``, and never past ``LogOptions/segmentSizeBytes``. A failure
    /// (a full disk) is not the frame's: it is logged and the log goes on appending only.
    private func reserveSpace(_ handle: LogFileHandle) {
        guard options.preallocationBytes > 0, !preallocationFailed else {
            return
        }
        let wanted = min(Int64(options.preallocationBytes), max(Int64(Self.zeros.count), activeEndOffset))
        let end = min(activeEndOffset + wanted, Int64(options.segmentSizeBytes))
        var offset = activeEndOffset
        do {
            while offset < end {
                let count = Int(min(Int64(Self.zeros.count), end - offset))
                try Self.zeros.withUnsafeBytes {
                    try fileSystem.write(handle, UnsafeRawBufferPointer(rebasing: $0[0..<count]), at: offset)
                }
                offset += Int64(count)
                activeFileBytes = offset
            }
        } catch {
            // A short write may have grown the file past `offset`: count every byte it may
            // have written, so that a roll-over or close cuts them.
            activeFileBytes = max(offset, (try? fileSystem.size(of: handle)) ?? end)
            preallocationFailed = true
            logger.warning(
                "could not reserve space in the log; appending without it",
                metadata: ["directory": "\(directory)", "error": "\(error)"]
            )
        }
    }

    /// The zeros ``reserveSpace(_:)`` writes, 64 KiB at a time.
    private static let zeros = [UInt8](repeating: 0, count: 64 << 10)

    private func writableHandle() throws -> LogFileHandle {
        if let failure {
            throw LedgerError(
                .writerFailed,
                "the log refuses writes after an earlier failure (\(failure.message)) until it recovers",
                underlying: failure
            )
        }
        guard let handle = activeHandle else {
            throw LedgerError(.closed, "the log at \(directory) is closed")
        }
        return handle
    }

    /// Runs a step whose failure leaves the files in a state only recovery may touch.
    private func failing<R>(_ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch {
            let ledgerError =
                error as? LedgerError ?? LedgerError(.io, "log write failed: \(error)", underlying: nil)
            failure = ledgerError
            logger.error(
                "log write failed; refusing further writes until the log recovers",
                metadata: ["directory": "\(directory)", "error": "\(ledgerError)"]
            )
            throw ledgerError
        }
    }

    /// Finishes the active segment (cut back to its last frame, fsync), creates the next one
    /// (header, fsync, directory fsync) and makes it active.
    private func rollOver(from handle: LogFileHandle, nextBase: UInt64) throws -> LogFileHandle {
        if activeFileBytes > activeEndOffset {
            try fileSystem.truncate(handle, toSize: activeEndOffset)
            activeFileBytes = activeEndOffset
        }
        try fileSystem.sync(handle)
        hasUnsyncedWrites = false
        let name = SegmentFileName.name(forBase: nextBase)
        let recovery = LogRecovery(fileSystem: fileSystem, logDirectory: logDirectory, logger: logger)
        let newHandle = try recovery.createSegment(name: name, base: nextBase)
        fileSystem.closeFile(handle)
        activeHandle = newHandle
        activeEndOffset = Int64(SegmentHeader.byteCount)
        activeFileBytes = activeEndOffset
        acknowledgedEndOffset = activeEndOffset
        syncedEndOffset = activeEndOffset
        segments.append(
            LogSegmentInfo(
                name: name,
                baseSequence: nextBase,
                lastSequence: nextBase - 1,
                frameCount: 0,
                byteCount: activeEndOffset
            )
        )
        logger.debug("started a new log segment", metadata: ["segment": "\(name)"])
        return newHandle
    }
}
