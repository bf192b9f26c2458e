/// The full check behind ``LogReader/verify(directory:fileSystem:expectedHead:)``: every
/// segment header, every frame whole (both checksums, decompression, sequence continuity, hash
/// chain), segments missing between others, and optionally a recorded head. With
/// `decodesEvents` (a store's log, whose payloads are encoded events) also the decoding of
/// every frame's events, as the readers of a store decode them (events of a newer encoding
/// version are not reported: the frame is valid, for a newer reader).
///
/// It collects every problem it can rather than stopping at the first: after a damaged frame
/// it looks for the next valid frame header at any byte position and goes on from there (the
/// sequence and chain checks restart at that frame).
struct LogVerifier {
    let fileSystem: any LogFileSystem
    let logDirectory: String
    let expectedHead: LogHead?
    let decodesEvents: Bool

    private var result = LogVerification()
    private var codec: ZstdCodec?
    private var scratch: [UInt8] = []
    private var matchedHead: Bool?

    init(fileSystem: any LogFileSystem, logDirectory: String, expectedHead: LogHead?, decodesEvents: Bool = false) {
        self.fileSystem = fileSystem
        self.logDirectory = logDirectory
        self.expectedHead = expectedHead
        self.decodesEvents = decodesEvents
    }

    /// Checks everything and returns what was found.
    mutating func run() -> LogVerification {
        do {
            codec = try ZstdCodec()
        } catch {
            report(.io, "cannot create a zstd context: \(error)", nil)
            return result
        }
        var segments: [(name: String, base: UInt64)] = []
        do {
            for entry in try fileSystem.contentsOfDirectory(atPath: logDirectory) {
                if let base = SegmentFileName.baseSequence(of: entry) {
                    segments.append((entry, base))
                }
            }
        } catch {
            report(.io, "cannot list the log directory: \(error)", nil)
            return result
        }
        segments.sort { $0.base < $1.base }
        var expected: UInt64? = 1
        var previous: FrameHash? = .zero
        for (position, segment) in segments.enumerated() {
            let isLast = position == segments.count - 1
            if let wanted = expected, segment.base != wanted {
                let message =
                    position == 0
                    ? "the first segment starts at sequence \(segment.base), not 1: the segments before it are missing"
                    : "segment \(segment.name) starts at sequence \(segment.base), but the log before it ends at "
                        + "\(wanted - 1): a segment is missing or misplaced"
                report(
                    .corruptLog,
                    message,
                    LogLocation(segment: segment.name, offset: 0, sequence: segment.base),
                    intactThrough: wanted - 1
                )
                expected = segment.base
                previous = nil
            }
            do {
                let file = try SegmentFile(
                    fileSystem: fileSystem,
                    directory: logDirectory,
                    name: segment.name,
                    mode: .readOnly
                )
                defer { file.close() }
                try verifySegment(file, base: segment.base, isLast: isLast, expected: &expected, previous: &previous)
            } catch {
                report(
                    .io,
                    "cannot read \(segment.name): \(error)",
                    LogLocation(segment: segment.name, offset: 0, sequence: nil)
                )
                expected = nil
                previous = nil
            }
        }
        if let expectedHead {
            checkExpectedHead(expectedHead)
        }
        return result
    }

    private mutating func verifySegment(
        _ file: SegmentFile,
        base: UInt64,
        isLast: Bool,
        expected: inout UInt64?,
        previous: inout FrameHash?
    ) throws {
        result.segmentCount += 1
        let counted = file.size
        result.byteCount += counted
        switch try file.readSegmentHeader() {
        case .success(let header):
            if header.baseSequence != base {
                report(
                    .corruptLog,
                    "segment \(file.name) says it starts at sequence \(header.baseSequence), but its name says \(base)",
                    file.location(0, base)
                )
            }
        case .failure(.damaged(let reason)):
            if isLast, file.size <= Int64(SegmentHeader.byteCount) {
                report(
                    .truncatedTail,
                    "incomplete header of the last segment (\(reason)): a crash while the segment was being created; "
                        + "opening the store for writing rewrites it",
                    file.location(0, base)
                )
                return
            }
            report(.corruptLog, "bad segment header in \(file.name): \(reason)", file.location(0, base))
        case .failure(.unsupported(let version)):
            report(
                .unsupportedVersion,
                "segment \(file.name) has format version \(version); this version reads version 1 only",
                file.location(0, base)
            )
            expected = nil
            previous = nil
            return
        }
        var offset = Int64(SegmentHeader.byteCount)
        var frames = 0
        var rereads = 0
        while offset < file.size {
            let problem: String
            let scanFrom: Int64
            switch try file.frameHeader(at: offset) {
            case .incomplete(let count):
                problem = "incomplete frame header: only \(count) of 64 bytes before the end of the file"
                scanFrom = offset + 1
            case .defect(.damaged(let reason)):
                problem = reason
                scanFrom = offset + 1
            case .defect(.unsupported(let reason)):
                report(.unsupportedVersion, reason, file.location(offset, expected))
                // The header checksum is valid, so its length can be trusted to skip the frame.
                let length = try file.withBytes(at: offset, count: 4) { bytes in
                    Int64(UInt32(littleEndian: bytes.loadUnaligned(as: UInt32.self)))
                }
                offset += length
                expected = nil
                previous = nil
                continue
            case .header(let header):
                if offset + Int64(header.frameLength) > file.size {
                    problem =
                        "incomplete frame: \(header.frameLength) bytes long but only \(file.size - offset) bytes "
                        + "before the end of the file"
                    scanFrom = offset + Int64(header.frameLength)
                    break
                }
                let intact = try file.withFrame(at: offset, header: header) { bytes in
                    verifyFrame(
                        bytes,
                        header: header,
                        file: file,
                        offset: offset,
                        expected: expected,
                        previous: previous
                    )
                }
                guard let hash = intact else {
                    problem = "frame payload checksum mismatch"
                    scanFrom = offset + Int64(header.frameLength)
                    break
                }
                frames += 1
                previous = hash
                expected = header.lastSequence + 1
                offset += Int64(header.frameLength)
                continue
            }
            if isLast, try file.isZero(from: offset) {
                // The size may have been read again since it was counted (a re-read below).
                result.unusedByteCount += file.size - offset
                result.byteCount -= counted - offset
                break
            }
            if let next = try file.findValidFrame(from: scanFrom, minimumSequence: 0) {
                // A writer filling reserved space may have put a frame here since it was read.
                if isLast, rereads < SegmentFile.rereadLimit, try file.holdsValidFrameOnRereading(at: offset) {
                    rereads += 1
                    continue
                }
                report(
                    .corruptLog,
                    "damaged frame in \(file.name): \(problem); skipped \(next - offset) bytes to the next valid "
                        + "frame at offset \(next)",
                    file.location(offset, expected)
                )
                offset = next
                expected = nil
                previous = nil
                continue
            }
            if isLast {
                report(
                    .truncatedTail,
                    "the last \(file.size - offset) bytes of the log are not a complete frame (\(problem)): a torn "
                        + "tail from a crash, or a write in progress; opening the store for writing truncates it",
                    file.location(offset, expected)
                )
            } else {
                report(
                    .corruptLog,
                    "damaged frame at the end of sealed segment \(file.name): \(problem)",
                    file.location(offset, expected)
                )
                expected = nil
                previous = nil
            }
            break
        }
        if frames == 0, !isLast {
            report(
                .corruptLog,
                "segment \(file.name) holds no frames although later segments exist",
                file.location(32, base)
            )
        }
    }

    /// Checks one frame whose length is within the file; returns its hash, or `nil` when its
    /// payload checksum fails (a problem the caller reports). Other problems are reported here.
    private mutating func verifyFrame(
        _ bytes: UnsafeRawBufferPointer,
        header: FrameHeader,
        file: SegmentFile,
        offset: Int64,
        expected: UInt64?,
        previous: FrameHash?
    ) -> FrameHash? {
        let check = SegmentFile.check(bytes, header: header)
        guard check.payloadIntact else {
            return nil
        }
        let location = file.location(offset, header.firstSequence)
        if let expected, header.firstSequence != expected {
            report(
                .corruptLog,
                SequenceMismatch.message(in: file.name, expected: expected, found: header.firstSequence),
                location
            )
        }
        if let previous, header.previousHash != previous {
            report(
                .corruptLog,
                "hash chain broken in \(file.name): the frame's previousHash \(header.previousHash.hex) is not the "
                    + "hash of the frame before it (\(previous.hex))",
                location
            )
        }
        let stored = UnsafeRawBufferPointer(rebasing: bytes[FrameHeader.byteCount...])
        if header.codec == .none {
            if decodesEvents {
                verifyEvents([UInt8](stored), header: header, location: location)
            }
        } else if let codec {
            do {
                try ZstdCodec.checkContentSize(stored, rawLength: header.rawLength)
                if scratch.count < header.rawLength {
                    scratch = [UInt8](repeating: 0, count: header.rawLength)
                }
                try scratch.withUnsafeMutableBytes { buffer in
                    try codec.decompress(
                        stored,
                        into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<header.rawLength]),
                        dictionary: header.codec == .zstdDictionary
                    )
                }
                if decodesEvents {
                    verifyEvents([UInt8](scratch[0..<header.rawLength]), header: header, location: location)
                }
            } catch let error as LedgerError {
                report(error.code, "frame payload does not decompress: \(error.message)", location)
            } catch {
                report(.corruptLog, "frame payload does not decompress: \(error)", location)
            }
            if scratch.count > 8 << 20 {
                scratch = []
            }
        }
        result.frameCount += 1
        result.eventCount += UInt64(header.eventCount)
        result.payloadByteCount += Int64(header.rawLength)
        result.head = LogHead(sequence: header.lastSequence, hash: check.hash.bytes)
        if let expectedHead, expectedHead.sequence == header.lastSequence {
            // The recorded head proves the history before it only if that history verified:
            // after damage the chain check restarts at the next good frame.
            matchedHead = check.hash.bytes == expectedHead.hash && result.problems.isEmpty
        }
        return check.hash
    }

    /// Decodes the events of a frame's payload as every reader of the log does, and reports
    /// why they do not decode: a frame can pass both checksums and the hash chain (rewritten
    /// whole, or written so by a faulty writer) and still be one no reader can read.
    private mutating func verifyEvents(_ payload: [UInt8], header: FrameHeader, location: LogLocation) {
        do {
            _ = try EventCodec.decode(
                payload,
                firstSequence: header.firstSequence,
                count: header.eventCount,
                location: location
            )
        } catch  where error.code == .unsupportedVersion {
            // Events of a newer encoding are not damage: such a frame is valid, and the readers
            // of this build refuse it with "upgrade AgentLedger", as they refuse a newer codec.
        } catch {
            report(error.code, "the frame's events do not decode: \(error.message)", location)
        }
    }

    private mutating func checkExpectedHead(_ head: LogHead) {
        if head.sequence == 0 {
            matchedHead = head.hash == [UInt8](repeating: 0, count: 32)
        }
        switch matchedHead {
        case .some(true):
            result.expectedHeadMatched = true
        case .some(false) where head.sequence == 0:
            // No frame ends at 0: the empty log's head is all zeros, and no log has another.
            result.expectedHeadMatched = false
            report(
                .corruptLog,
                "the head at sequence 0 is the empty log's, whose hash is all zeros, not \(head.hashHex): no log "
                    + "can match that expected head",
                nil
            )
        case .some(false):
            result.expectedHeadMatched = false
            report(
                .corruptLog,
                "the frame ending at sequence \(head.sequence) does not have the expected hash \(head.hashHex): "
                    + "the log up to that point differs from the one whose head was recorded",
                nil
            )
        case .none:
            result.expectedHeadMatched = false
            report(
                .corruptLog,
                "no frame ends at sequence \(head.sequence) (the log ends at \(result.head.sequence)): the expected "
                    + "head cannot be checked",
                nil
            )
        }
    }

    private mutating func report(
        _ code: LedgerError.Code,
        _ message: String,
        _ location: LogLocation?,
        intactThrough: UInt64? = nil
    ) {
        result.problems.append(
            LogProblem(code: code, message: message, location: location, intactThrough: intactThrough)
        )
    }
}
