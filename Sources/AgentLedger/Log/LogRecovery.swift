import Logging

/// The recovery that ``EventLog/openForWriting(directory:options:fileSystem:logger:)`` runs:
/// checks the segments in order, cuts a torn tail off the last one, and returns the open last
/// segment positioned at its end.
///
/// - Sealed (non-last) segments: the header, then every frame header (checksum, sequence
///   continuity), reading 64 bytes per frame; the last frame is read whole (payload checksum,
///   hash) and the next segment's first frame must link to its hash. Any problem is corruption:
///   a sealed segment was fsynced before the next one was created.
/// - The last segment: every frame is read whole (checksums, sequence continuity, hash chain).
///   An incomplete or checksum-failing frame with no valid frame anywhere after it is a torn
///   tail: the file is truncated at the frame's start and fsynced. Zeros from the end of the
///   last frame to the end of the file are unused space, reserved by an earlier writer (see
///   ``LogOptions/preallocationBytes``) or left by a crash: not a torn tail, and kept here; a
///   writer that reserves space writes its next frames over them, one that does not cuts them
///   (``EventLog/openForWriting(directory:options:fileSystem:logger:)``).
/// - An incomplete last segment header (a crash right after the file was created; the file is
///   at most 32 bytes, so no frame follows) is rewritten.
/// - Everything else throws ``LedgerError/Code/corruptLog`` with the location; so does a torn
///   tail starting at or before the `durableThrough` sequence given to ``run(createdStore:durableThrough:)``,
///   or a log ending before it (``DurableThrough``): damage, not a crash, and nothing is cut.
struct LogRecovery {
    /// The recovered state.
    struct Outcome {
        /// Every segment, the last one (the active one) included.
        var segments: [LogSegmentInfo]
        /// The open last segment; the caller owns the handle.
        var activeHandle: LogFileHandle
        /// The size of the last segment's file: its frames, then any unused space (zeros) the
        /// writer reserved before, which is kept for the next frames.
        var activeFileBytes: Int64
        /// The last sequence number (0 when empty).
        var lastSequence: UInt64
        /// The hash of the last frame (zeros when empty).
        var head: FrameHash
        /// What was found and repaired.
        var report: RecoveryReport
    }

    /// What tells recovery that events up to `durableThrough` were durable, for its refusals.
    enum DurableProof {
        /// The read model shows them (``DurableThrough``), read before an open.
        case readModel
        /// This writer acknowledged them: a recovery in place after a failed write.
        case acknowledged

        /// The claim, for events through `sequence`.
        func claim(_ sequence: UInt64) -> String {
            switch self {
            case .readModel: "the read model shows that the log held events through \(sequence) durably"
            case .acknowledged: "this writer acknowledged events through \(sequence)"
            }
        }

        /// What to do, for a log intact through `intact` that lost events through `durable`.
        func advice(intact: UInt64, durable: UInt64) -> String {
            switch self {
            case .readModel: LogRecovery.salvageAdvice(intactThrough: intact, durableThrough: durable)
            case .acknowledged:
                "The store refuses writes; a reopen runs the recovery again with what the read model shows."
            }
        }
    }

    let fileSystem: any LogFileSystem
    let logDirectory: String
    let logger: Logger
    /// Where ``run(createdStore:durableThrough:)``'s `durableThrough` comes from. With
    /// `acknowledged`, only a damaged tail at or before it is refused: the caller compares the
    /// end it finds with what it acknowledged.
    var proof = DurableProof.readModel

    /// Runs recovery; see the type's description.
    ///
    /// - Parameter durableThrough: the last sequence number known to have been durable in this
    ///   log; a log ending before it, or a "torn" tail starting at or before it, is damage and
    ///   throws `corruptLog` without cutting anything.
    func run(createdStore: Bool, durableThrough: UInt64 = 0) throws -> Outcome {
        var report = RecoveryReport()
        report.createdStore = createdStore
        var names: [(name: String, base: UInt64)] = []
        for entry in try fileSystem.contentsOfDirectory(atPath: logDirectory) {
            if let base = SegmentFileName.baseSequence(of: entry) {
                names.append((entry, base))
            } else {
                report.ignoredFiles.append(entry)
                logger.warning(
                    "ignoring a file in the log directory that is not a segment",
                    metadata: ["directory": "\(logDirectory)", "file": "\(entry)"]
                )
            }
        }
        report.ignoredFiles.sort()
        names.sort { $0.base < $1.base }
        if names.isEmpty {
            // A recovery in place (``DurableProof/acknowledged``) checks the end it finds itself.
            guard durableThrough == 0 || proof == .acknowledged else {
                throw LedgerError(
                    .corruptLog,
                    "the log at \(logDirectory) holds no segment, but \(proof.claim(durableThrough)): its segment "
                        + "files are missing. No file was created. " + proof.advice(intact: 0, durable: durableThrough)
                )
            }
            let name = SegmentFileName.name(forBase: 1)
            let handle = try createSegment(name: name, base: 1)
            report.segmentCount = 1
            let info = LogSegmentInfo(
                name: name,
                baseSequence: 1,
                lastSequence: 0,
                frameCount: 0,
                byteCount: Int64(SegmentHeader.byteCount)
            )
            return Outcome(
                segments: [info],
                activeHandle: handle,
                activeFileBytes: info.byteCount,
                lastSequence: 0,
                head: .zero,
                report: report
            )
        }
        var segments: [LogSegmentInfo] = []
        var nextSequence: UInt64 = 1
        var head = FrameHash.zero
        for (position, entry) in names.enumerated() where position < names.count - 1 {
            try checkBase(entry.name, entry.base, expected: nextSequence, first: position == 0)
            let info = try recoverSealed(name: entry.name, base: entry.base, previous: &head)
            segments.append(info)
            nextSequence = info.lastSequence + 1
            report.frameCount += info.frameCount
        }
        let last = names[names.count - 1]
        try checkBase(last.name, last.base, expected: nextSequence, first: names.count == 1)
        let (info, handle, lastHead, allocated) = try recoverLast(
            name: last.name,
            base: last.base,
            previous: head,
            durableThrough: durableThrough,
            report: &report
        )
        guard info.lastSequence >= durableThrough || proof == .acknowledged else {
            fileSystem.closeFile(handle)
            throw LedgerError(
                .corruptLog,
                "the log at \(logDirectory) ends at sequence \(info.lastSequence), but \(proof.claim(durableThrough)): "
                    + "segment files are missing or were cut, or this is an older or diverged copy of the store's "
                    + "log; no frame was cut. " + proof.advice(intact: info.lastSequence, durable: durableThrough),
                location: LogLocation(segment: last.name, offset: info.byteCount, sequence: info.lastSequence + 1)
            )
        }
        segments.append(info)
        report.frameCount += info.frameCount
        report.segmentCount = segments.count
        report.lastSequence = info.lastSequence
        return Outcome(
            segments: segments,
            activeHandle: handle,
            activeFileBytes: allocated,
            lastSequence: info.lastSequence,
            head: lastHead,
            report: report
        )
    }

    private func checkBase(_ name: String, _ base: UInt64, expected: UInt64, first: Bool) throws {
        guard base == expected else {
            let what =
                first
                ? "the first segment starts at sequence \(base), not 1: the segments before it are missing"
                : "segment \(name) starts at sequence \(base), but the segment before it ends at sequence "
                    + "\(expected - 1): a segment is missing or misplaced"
            throw LedgerError(.corruptLog, what, location: LogLocation(segment: name, offset: 0, sequence: base))
        }
    }

    /// Checks a sealed segment and updates `previous` to the hash of its last frame.
    private func recoverSealed(name: String, base: UInt64, previous: inout FrameHash) throws -> LogSegmentInfo {
        let file = try SegmentFile(fileSystem: fileSystem, directory: logDirectory, name: name, mode: .readOnly)
        defer { file.close() }
        try checkHeader(file, base: base)
        let walk = try file.walk(baseSequence: base, previousHash: nil, verifyPayloads: false, tolerateTail: false)
        guard let lastOffset = walk.index.lastFrameOffset, let firstPrevious = walk.firstPreviousHash else {
            throw LedgerError(
                .corruptLog,
                "segment \(name) holds no frames although later segments exist",
                location: file.location(Int64(SegmentHeader.byteCount), base)
            )
        }
        guard firstPrevious == previous else {
            throw LedgerError(
                .corruptLog,
                "hash chain broken at the start of \(name): its first frame's previousHash "
                    + "\(firstPrevious.hex) is not the hash of the previous frame (\(previous.hex))",
                location: file.location(Int64(SegmentHeader.byteCount), base)
            )
        }
        guard case .header(let header) = try file.frameHeader(at: lastOffset) else {
            preconditionFailure("the walk accepted this frame header")
        }
        let check = try file.checkFrame(at: lastOffset, header: header)
        guard check.payloadIntact else {
            throw LedgerError(
                .corruptLog,
                "damaged frame in \(name) (not at the end of the log): frame payload checksum mismatch",
                location: file.location(lastOffset, header.firstSequence)
            )
        }
        previous = check.hash
        return LogSegmentInfo(
            name: name,
            baseSequence: base,
            lastSequence: walk.nextSequence - 1,
            frameCount: walk.index.frameCount,
            byteCount: file.size
        )
    }

    /// Checks (and repairs) the last segment and returns it open for writing.
    private func recoverLast(
        name: String,
        base: UInt64,
        previous: FrameHash,
        durableThrough: UInt64,
        report: inout RecoveryReport
    ) throws -> (LogSegmentInfo, LogFileHandle, FrameHash, allocated: Int64) {
        let path = logDirectory + "/" + name
        let handle = try fileSystem.openFile(atPath: path, mode: .readWrite)
        do {
            let file = try SegmentFile(fileSystem: fileSystem, path: path, name: name, borrowing: handle)
            let header = try file.readSegmentHeader()
            if case .failure(.damaged(let reason)) = header, file.size <= Int64(SegmentHeader.byteCount) {
                try rewriteHeader(handle, base: base)
                file.didTruncate(to: Int64(SegmentHeader.byteCount))
                report.repairedSegmentHeader = name
                logger.warning(
                    "rewrote the incomplete header of the last log segment (no frame followed it)",
                    metadata: ["segment": "\(name)", "reason": "\(reason)", "bytes": "\(file.size)"]
                )
            } else {
                try checkHeader(file, base: base)
            }
            let walk = try file.walk(
                baseSequence: base,
                previousHash: previous,
                verifyPayloads: true,
                tolerateTail: true
            )
            if case .tornTail(let offset, let reason) = walk.stop {
                guard walk.nextSequence > durableThrough else {
                    throw LedgerError(
                        .corruptLog,
                        "the log's last frame is damaged (\(reason)), but \(proof.claim(durableThrough)): this is "
                            + "damage, not the incomplete write of a crash, and nothing was cut. "
                            + proof.advice(intact: walk.nextSequence - 1, durable: durableThrough),
                        location: file.location(offset, walk.nextSequence)
                    )
                }
                let cut = file.size - offset
                try fileSystem.truncate(handle, toSize: offset)
                try fileSystem.sync(handle)
                file.didTruncate(to: offset)
                report.truncatedTail = RecoveryReport.TruncatedTail(
                    segment: name,
                    offset: offset,
                    bytesCut: cut,
                    reason: reason,
                    sequence: walk.nextSequence
                )
                logger.warning(
                    """
                    truncated a torn tail of the log (an incomplete write, from a crash or a write that failed; \
                    with durability fsync such events were never acknowledged. No read model showed them durable; \
                    a damaged last frame of a store whose read model was lost looks the same)
                    """,
                    metadata: [
                        "segment": "\(name)", "offset": "\(offset)", "bytesCut": "\(cut)",
                        "sequence": "\(walk.nextSequence)", "reason": "\(reason)",
                    ]
                )
            }
            let allocated = file.size
            var end = allocated
            if case .unusedSpace(let offset) = walk.stop {
                end = offset
                report.unusedTailBytes = allocated - offset
                logger.debug(
                    "the last log segment ends in unused space (zeros) after its last frame",
                    metadata: ["segment": "\(name)", "offset": "\(offset)", "bytes": "\(allocated - offset)"]
                )
            }
            let info = LogSegmentInfo(
                name: name,
                baseSequence: base,
                lastSequence: walk.nextSequence - 1,
                frameCount: walk.index.frameCount,
                byteCount: end
            )
            return (info, handle, walk.lastHash ?? previous, allocated)
        } catch {
            fileSystem.closeFile(handle)
            throw error
        }
    }

    /// What to do about a log that lost events its read model shows were durable.
    static func salvageAdvice(intactThrough: UInt64, durableThrough: UInt64) -> String {
        let single = intactThrough + 1 == durableThrough
        let lost = single ? "event \(durableThrough)" : "events \(intactThrough + 1) to \(durableThrough)"
        let command = "`agentledger checkout --as-of-seq \(intactThrough) --into DIR`"
        let checkout = intactThrough == 0 ? "" : command + " copies the intact events to a new store. "
        return "`agentledger verify` shows the damage; " + checkout
            + "Restore a copy of the log that holds \(lost), or, to go on without \(single ? "it" : "them") (the "
            + "read model may hold the only other copy), or if this log was put in place on purpose, delete "
            + "views.sqlite: the next open then cuts any damage off and rebuilds the read model from the log."
    }

    private func checkHeader(_ file: SegmentFile, base: UInt64) throws {
        switch try file.readSegmentHeader() {
        case .success(let header):
            guard header.baseSequence == base else {
                throw LedgerError(
                    .corruptLog,
                    "segment \(file.name) says it starts at sequence \(header.baseSequence), "
                        + "but its name says \(base)",
                    location: file.location(0, base)
                )
            }
        case .failure(.damaged(let reason)):
            throw LedgerError(
                .corruptLog,
                "bad segment header in \(file.name): \(reason)",
                location: file.location(0, base)
            )
        case .failure(.unsupported(let version)):
            throw LedgerError(
                .unsupportedVersion,
                "segment \(file.name) has format version \(version); this version of AgentLedger reads version "
                    + "\(SegmentHeader.formatVersion) only",
                location: file.location(0, base)
            )
        }
    }

    private func rewriteHeader(_ handle: LogFileHandle, base: UInt64) throws {
        try fileSystem.truncate(handle, toSize: 0)
        try SegmentHeader(baseSequence: base).encoded().withUnsafeBytes { try fileSystem.write(handle, $0, at: 0) }
        try fileSystem.sync(handle)
    }

    /// Creates a new segment file holding only its header, fsyncs it and the log directory, and
    /// returns it open for writing.
    func createSegment(name: String, base: UInt64) throws -> LogFileHandle {
        let path = logDirectory + "/" + name
        let handle = try fileSystem.openFile(atPath: path, mode: .createNew)
        do {
            try SegmentHeader(baseSequence: base).encoded().withUnsafeBytes { try fileSystem.write(handle, $0, at: 0) }
        } catch {
            fileSystem.closeFile(handle)
            // A file without its header holds nothing: removed, it does not make every later
            // open write that header (which a full disk refuses, reading commands included)
            // nor make verify report a crash. A crash here still leaves it, for recovery.
            try? fileSystem.removeFile(atPath: path)
            throw error
        }
        do {
            try fileSystem.sync(handle)
            try fileSystem.syncDirectory(atPath: logDirectory)
        } catch {
            fileSystem.closeFile(handle)
            throw error
        }
        return handle
    }
}
