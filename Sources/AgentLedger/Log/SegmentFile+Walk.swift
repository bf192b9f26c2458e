extension SegmentFile {
    /// Walks the frames of the segment from its header to its end, checking each frame header's
    /// checksum and fields and that sequence numbers continue from `baseSequence` without gap.
    ///
    /// With `verifyPayloads`, each frame is read whole: its payload checksum is checked, it is
    /// hashed, and its `previousHash` must equal the hash of the frame before it (the first
    /// frame's must equal `previousHash` when that is given).
    ///
    /// A problem that a crash can cause (an incomplete header, a header or payload checksum
    /// failure, a frame running past the end of the file) is a torn tail when `tolerateTail` is
    /// set and no valid frame follows it anywhere in the file; the walk then stops there. With
    /// `tolerateTail`, zeros from a frame boundary to the end of the file are unused space (see
    /// ``SegmentWalk/Stop/unusedSpace(offset:)``), where the walk stops too. Any
    /// other problem, and every problem when `tolerateTail` is not set, throws
    /// ``LedgerError/Code/corruptLog`` (or ``LedgerError/Code/unsupportedVersion``) naming the
    /// segment, the offset and the sequence number. With `stopAtDamage` (and `tolerateTail`), a
    /// damaged frame with a valid one after it ends the walk instead (``SegmentWalk/Stop/damage(offset:reason:)``),
    /// so that the intact frames before it can still be read.
    func walk(
        baseSequence: UInt64,
        previousHash: FrameHash?,
        verifyPayloads: Bool,
        tolerateTail: Bool,
        stopAtDamage: Bool = false
    ) throws -> SegmentWalk {
        var result = SegmentWalk(nextSequence: baseSequence)
        var offset = Int64(SegmentHeader.byteCount)
        var expectedPrevious = previousHash
        var rereads = 0
        while offset < size {
            let expected = result.nextSequence
            let problem: String
            let scanFrom: Int64
            switch try frameHeader(at: offset) {
            case .incomplete(let count):
                problem = "incomplete frame header: only \(count) of 64 bytes before the end of the file"
                scanFrom = offset + 1
            case .defect(.unsupported(let reason)):
                throw LedgerError(.unsupportedVersion, reason, location: location(offset, expected))
            case .defect(.damaged(let reason)):
                problem = reason
                scanFrom = offset + 1
            case .header(let header):
                if result.index.frameCount == 0 {
                    result.firstPreviousHash = header.previousHash
                }
                if offset + Int64(header.frameLength) > size {
                    problem =
                        "incomplete frame: \(header.frameLength) bytes long but only \(size - offset) bytes "
                        + "before the end of the file"
                    scanFrom = offset + Int64(header.frameLength)
                    break
                }
                guard header.firstSequence == expected else {
                    throw LedgerError(
                        .corruptLog,
                        SequenceMismatch.message(in: name, expected: expected, found: header.firstSequence),
                        location: location(offset, expected)
                    )
                }
                if verifyPayloads {
                    let check = try checkFrame(at: offset, header: header)
                    if !check.payloadIntact {
                        problem = "frame payload checksum mismatch"
                        scanFrom = offset + Int64(header.frameLength)
                        break
                    }
                    if let expectedPrevious, header.previousHash != expectedPrevious {
                        throw LedgerError(
                            .corruptLog,
                            "hash chain broken in \(name): the frame's previousHash \(header.previousHash.hex) "
                                + "is not the hash of the frame before it (\(expectedPrevious.hex))",
                            location: location(offset, expected)
                        )
                    }
                    expectedPrevious = check.hash
                    result.lastHash = check.hash
                } else {
                    expectedPrevious = nil
                }
                result.index.record(
                    firstSequence: header.firstSequence,
                    offset: offset,
                    frameLength: header.frameLength
                )
                result.nextSequence = header.lastSequence + 1
                offset += Int64(header.frameLength)
                continue
            }
            // A problem a crash can cause: reserved space, torn tail or damage?
            if tolerateTail, try isZero(from: offset) {
                result.stop = .unusedSpace(offset: offset)
                return result
            }
            guard tolerateTail else {
                throw LedgerError(
                    .corruptLog,
                    "damaged frame in \(name) (not at the end of the log): \(problem)"
                        + LogReader.salvageHint(intactThrough: expected - 1),
                    location: location(offset, expected)
                )
            }
            if let valid = try findValidFrame(from: scanFrom, minimumSequence: expected) {
                if rereads < Self.rereadLimit, try holdsValidFrameOnRereading(at: offset) {
                    rereads += 1
                    continue
                }
                if stopAtDamage {
                    result.stop = .damage(offset: offset, reason: problem)
                    return result
                }
                throw LedgerError(
                    .corruptLog,
                    "damaged frame in \(name): \(problem); a valid frame follows at offset \(valid), "
                        + "so this is damage inside the log, not a torn tail"
                        + LogReader.salvageHint(intactThrough: expected - 1),
                    location: location(offset, expected)
                )
            }
            result.stop = .tornTail(offset: offset, reason: problem)
            return result
        }
        return result
    }

    /// How many times one walk or verification reads a frame again that looked damaged with a
    /// valid frame after it (see ``holdsValidFrameOnRereading(at:)``). Each time it passes at
    /// least one frame that a writer finished after the walk reached it, and a walk reads far
    /// faster than a writer fsyncs, so it catches up long before; the bound only keeps a walk
    /// from chasing a writer for ever.
    static let rereadLimit = 10_000

    /// The location of a frame of this segment.
    func location(_ offset: Int64, _ sequence: UInt64?) -> LogLocation {
        LogLocation(segment: name, offset: offset, sequence: sequence)
    }
}
