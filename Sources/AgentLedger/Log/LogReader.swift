/// Reads the log of a store: read-only, without the writer's lock, never modifying a file.
///
/// ```swift
/// let reader = try LogReader.open(directory: storePath)
/// var frames = reader.frames(from: 1)
/// while let frame = try frames.next() {
///     // frame.payload holds events frame.firstSequence ... frame.lastSequence
/// }
/// ```
///
/// Opening takes a snapshot of the log's end: ``lastSequence`` and ``headHash`` are those of the
/// last complete, valid frame at that moment. A writer may be appending at the same time (in
/// this or another process): an incomplete or checksum-failing frame at the very end of the
/// last segment is treated as not yet written. Frames appended after the snapshot are not
/// returned; open a new reader to see them.
///
/// Every frame a reader returns has been checked: its header and payload checksums, its
/// sequence numbers (no gap from the frame before), and its link in the hash chain (its
/// `previousHash` is the hash of the frame before it, which is read and checked too when a read
/// starts in the middle). Damage throws ``LedgerError/Code/corruptLog`` with its location.
///
/// Not thread-safe: one reader (and its iterators) is used by one thread at a time. Open one
/// reader per thread; they are cheap.
public final class LogReader {
    /// One segment file as the reader knows it.
    struct Segment {
        /// The file name.
        let name: String
        /// The base sequence number from the file name.
        let base: UInt64
        /// The result of walking its frame headers, once done.
        var walk: SegmentWalk?
    }

    /// The store directory.
    public let directory: String
    /// The `log/` directory.
    let logDirectory: String
    /// The file system the files are read through.
    let fileSystem: any LogFileSystem
    /// Segments in order, as listed when the reader was opened.
    private(set) var segments: [Segment]
    /// The hash of the last frame of the snapshot.
    private(set) var head: FrameHash
    /// The damage that ended a snapshot opened ``open(directory:fileSystem:endingBeforeDamage:)``
    /// before it (valid frames follow it); nil when the log was read to its end.
    private(set) var damagedAfter: LogProblem?
    /// The decompressor shared by this reader's iterators.
    let codec: ZstdCodec
    /// Frames read whole (checked, hashed, decompressed) by this reader's iterators, including
    /// the frame read to check the first link of an iteration. For tests and diagnostics.
    var framesRead = 0

    /// The last sequence number of the snapshot taken at open (0 for an empty log).
    public let lastSequence: UInt64

    /// The SHA-256 of the snapshot's last frame (32 bytes; zeros for an empty log).
    public var headHash: [UInt8] {
        head.bytes
    }

    /// ``headHash`` as 64 lowercase hexadecimal digits.
    public var headHashHex: String {
        head.hex
    }

    /// The snapshot's head: ``lastSequence`` and ``headHash``.
    public var logHead: LogHead {
        LogHead(sequence: lastSequence, hash: head.bytes)
    }

    private init(
        directory: String,
        fileSystem: any LogFileSystem,
        segments: [Segment],
        lastSequence: UInt64,
        head: FrameHash
    ) throws {
        self.directory = directory
        self.logDirectory = directory + "/" + EventLog.logDirectoryName
        self.fileSystem = fileSystem
        self.segments = segments
        self.lastSequence = lastSequence
        self.head = head
        self.codec = try ZstdCodec()
    }

    /// Opens the log of the store at `directory` and takes a snapshot of its end.
    ///
    /// Walks the frame headers of the last segment only (64 bytes per frame) and checks its
    /// last frame whole. Throws ``LedgerError/Code/io`` when the `log/` directory cannot be read,
    /// and ``LedgerError/Code/corruptLog`` for damage found on the way.
    public static func open(directory: String, fileSystem: any LogFileSystem = SystemFileSystem()) throws -> LogReader {
        try open(directory: directory, fileSystem: fileSystem, endingBeforeDamage: false)
    }

    /// What a message about damage at the frame after sequence `intactThrough` adds: how to copy
    /// the intact events before it out (empty when there are none).
    static func salvageHint(intactThrough: UInt64) -> String {
        guard intactThrough > 0 else {
            return ""
        }
        return ". The events through \(intactThrough) are intact: `agentledger checkout --as-of-seq \(intactThrough) "
            + "--into DIR` copies them to a new store"
    }

    /// Opens a snapshot of the log like ``open(directory:fileSystem:)``; with
    /// `endingBeforeDamage`, a damaged frame of the last segment with valid frames after it ends
    /// the snapshot there (``damagedAfter`` says so) instead of throwing, so that the intact
    /// events before it can be copied out.
    /// With `segmentsStartingThrough`, the segments whose first sequence number is above it
    /// are left out, as if the log ended before them: enough to read the events up to it when a
    /// later segment is damaged, or does not belong to the log.
    static func open(
        directory: String,
        fileSystem: any LogFileSystem = SystemFileSystem(),
        endingBeforeDamage: Bool,
        segmentsStartingThrough limit: UInt64? = nil
    ) throws -> LogReader {
        let logDirectory = directory + "/" + EventLog.logDirectoryName
        var segments: [Segment] = []
        for entry in try fileSystem.contentsOfDirectory(atPath: logDirectory) {
            if let base = SegmentFileName.baseSequence(of: entry), base <= limit ?? .max {
                segments.append(Segment(name: entry, base: base))
            }
        }
        segments.sort { $0.base < $1.base }
        guard !segments.isEmpty else {
            return try LogReader(
                directory: directory,
                fileSystem: fileSystem,
                segments: [],
                lastSequence: 0,
                head: .zero
            )
        }
        do {
            return try openSnapshot(
                directory: directory,
                fileSystem: fileSystem,
                segments: segments,
                endingBeforeDamage: endingBeforeDamage
            )
        } catch let error as LedgerError where error.code == .corruptLog || error.underlying is SegmentFile.Shrank {
            // A frame being written while we read it can look damaged with a valid frame after
            // it (ours was read before the write finished), and one the writer cuts again (a
            // write that failed before it was acknowledged) vanishes while we read it; look once
            // more before reporting.
            return try openSnapshot(
                directory: directory,
                fileSystem: fileSystem,
                segments: segments,
                endingBeforeDamage: endingBeforeDamage
            )
        }
    }

    private static func openSnapshot(
        directory: String,
        fileSystem: any LogFileSystem,
        segments: [Segment],
        endingBeforeDamage: Bool
    ) throws -> LogReader {
        var segments = segments
        let logDirectory = directory + "/" + EventLog.logDirectoryName
        let last = segments.count - 1
        let file = try SegmentFile(
            fileSystem: fileSystem,
            directory: logDirectory,
            name: segments[last].name,
            mode: .readOnly
        )
        defer { file.close() }
        let base = segments[last].base
        var walk = SegmentWalk(nextSequence: base)
        var hasHeader = false
        switch try file.readSegmentHeader() {
        case .success(let header):
            try checkBase(header, file: file, base: base)
            hasHeader = true
        case .failure(.damaged(let reason)):
            // A header being written (or torn by a crash: the writer rewrites it) holds no frame.
            guard file.size <= Int64(SegmentHeader.byteCount) else {
                throw LedgerError(
                    .corruptLog,
                    "bad segment header in \(file.name): \(reason)",
                    location: file.location(0, base)
                )
            }
        case .failure(.unsupported(let version)):
            throw unsupported(version, file: file, base: base)
        }
        var lastHash: FrameHash?
        if hasHeader {
            walk = try file.walk(
                baseSequence: base,
                previousHash: nil,
                verifyPayloads: false,
                tolerateTail: true,
                stopAtDamage: endingBeforeDamage
            )
            if let offset = walk.index.lastFrameOffset {
                guard case .header(let header) = try file.frameHeader(at: offset) else {
                    preconditionFailure("the walk accepted this frame header")
                }
                let check = try file.checkFrame(at: offset, header: header)
                if check.payloadIntact {
                    lastHash = check.hash
                } else {
                    walk = try file.walk(
                        baseSequence: base,
                        previousHash: nil,
                        verifyPayloads: true,
                        tolerateTail: true,
                        stopAtDamage: endingBeforeDamage
                    )
                    lastHash = walk.lastHash
                }
            }
        }
        segments[last].walk = walk
        let reader = try LogReader(
            directory: directory,
            fileSystem: fileSystem,
            segments: segments,
            lastSequence: walk.nextSequence - 1,
            head: .zero
        )
        if case .damage(let offset, let reason) = walk.stop {
            reader.damagedAfter = LogProblem(
                code: .corruptLog,
                message: "damaged frame in \(file.name): \(reason); valid frames follow it",
                location: file.location(offset, walk.nextSequence)
            )
        }
        if let lastHash {
            reader.head = lastHash
        } else if last > 0 {
            // The last segment holds no frame: the head is the previous segment's last frame.
            reader.head = try reader.lastFrame(ofSegment: last - 1).1
        }
        return reader
    }

    /// The frames holding events from `sequence` through `last` (default: the snapshot's last
    /// sequence), in order, across segments, one frame in memory at a time.
    ///
    /// The first frame returned is the one holding `sequence` (it may start before it); the last
    /// is the one holding `last`. The iterator finds the first frame through the segments' base
    /// sequence numbers and a sparse index of frame offsets, so it reads no payload before it
    /// (only that of the frame just before, to check the hash chain's link).
    public func frames(from sequence: UInt64, through last: UInt64? = nil) -> FrameIterator {
        FrameIterator(reader: self, from: max(sequence, 1), through: min(last ?? lastSequence, lastSequence))
    }

    /// Opens segment number `position` (in ``segments``) for reading and checks its header.
    func openSegment(_ position: Int) throws -> SegmentFile {
        let segment = segments[position]
        let file = try SegmentFile(fileSystem: fileSystem, directory: logDirectory, name: segment.name, mode: .readOnly)
        switch try file.readSegmentHeader() {
        case .success(let header):
            try Self.checkBase(header, file: file, base: segment.base)
        case .failure(.damaged(let reason)):
            throw LedgerError(
                .corruptLog,
                "bad segment header in \(file.name): \(reason)",
                location: file.location(0, segment.base)
            )
        case .failure(.unsupported(let version)):
            throw Self.unsupported(version, file: file, base: segment.base)
        }
        return file
    }

    /// The walk of segment number `position`: done at open for the last segment, on first use
    /// (a walk of its frame headers, which must all be valid) for the others.
    func walk(ofSegment position: Int) throws -> SegmentWalk {
        if let walk = segments[position].walk {
            return walk
        }
        let file = try openSegment(position)
        defer { file.close() }
        let walk = try file.walk(
            baseSequence: segments[position].base,
            previousHash: nil,
            verifyPayloads: false,
            tolerateTail: false
        )
        segments[position].walk = walk
        return walk
    }

    /// The header and hash of the last frame of segment number `position`, checked whole.
    func lastFrame(ofSegment position: Int) throws -> (FrameHeader, FrameHash) {
        let walk = try walk(ofSegment: position)
        let segment = segments[position]
        guard let offset = walk.index.lastFrameOffset else {
            throw LedgerError(
                .corruptLog,
                "segment \(segment.name) holds no frames although later segments exist",
                location: LogLocation(
                    segment: segment.name,
                    offset: Int64(SegmentHeader.byteCount),
                    sequence: segment.base
                )
            )
        }
        let file = try openSegment(position)
        defer { file.close() }
        return try checkedFrame(file, at: offset)
    }

    /// Reads the frame at `offset` whole and checks its header and payload checksums.
    func checkedFrame(_ file: SegmentFile, at offset: Int64) throws -> (FrameHeader, FrameHash) {
        guard case .header(let header) = try file.frameHeader(at: offset),
            offset + Int64(header.frameLength) <= file.size
        else {
            throw LedgerError(.corruptLog, "damaged frame header in \(file.name)", location: file.location(offset, nil))
        }
        let check = try file.checkFrame(at: offset, header: header)
        framesRead += 1
        guard check.payloadIntact else {
            throw LedgerError(
                .corruptLog,
                "frame payload checksum mismatch in \(file.name)",
                location: file.location(offset, header.firstSequence)
            )
        }
        return (header, check.hash)
    }

    private static func checkBase(_ header: SegmentHeader, file: SegmentFile, base: UInt64) throws {
        guard header.baseSequence == base else {
            throw LedgerError(
                .corruptLog,
                "segment \(file.name) says it starts at sequence \(header.baseSequence), but its name says \(base)",
                location: file.location(0, base)
            )
        }
    }

    private static func unsupported(_ version: UInt32, file: SegmentFile, base: UInt64) -> LedgerError {
        LedgerError(
            .unsupportedVersion,
            "segment \(file.name) has format version \(version); this version of AgentLedger reads version "
                + "\(SegmentHeader.formatVersion) only",
            location: file.location(0, base)
        )
    }
}
