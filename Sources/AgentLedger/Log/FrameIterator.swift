/// Iterates over frames of a ``LogReader``; see ``LogReader/frames(from:through:)``.
///
/// ```swift
/// var frames = reader.frames(from: 100, through: 200)
/// while let frame = try frames.next() { ... }
/// ```
///
/// After `next()` throws, the iteration is over: later calls return `nil`.
public struct FrameIterator {
    private let reader: LogReader
    private let start: UInt64
    private let end: UInt64
    private var started = false
    private var finished = false
    private var position = 0
    private var file: SegmentFile?
    private var offset: Int64 = 0
    private var expected: UInt64 = 0
    private var previous: FrameHash?

    init(reader: LogReader, from start: UInt64, through end: UInt64) {
        self.reader = reader
        self.start = start
        self.end = end
    }

    /// The next frame, or `nil` after the frame holding the last wanted sequence number.
    ///
    /// Throws ``LedgerError/Code/corruptLog`` (with the location) for a damaged frame, a
    /// sequence gap, a broken hash chain or a missing segment, and ``LedgerError/Code/io`` when a
    /// file cannot be read.
    public mutating func next() throws -> LogFrame? {
        guard !finished else {
            return nil
        }
        do {
            if !started {
                started = true
                guard start <= end else {
                    finish()
                    return nil
                }
                try seek()
            }
            guard expected <= end else {
                finish()
                return nil
            }
            return try readFrame()
        } catch {
            finish()
            throw error
        }
    }

    private mutating func finish() {
        finished = true
        // Dropped, not closed: a copy of this iterator may still hold the same file, which is
        // closed when the last reference goes.
        file = nil
    }

    /// Positions at the frame holding `start`, and learns the hash of the frame before it.
    private mutating func seek() throws {
        let segments = reader.segments
        var low = 0
        var high = segments.count
        while low < high {
            let middle = (low + high) / 2
            if segments[middle].base <= start {
                low = middle + 1
            } else {
                high = middle
            }
        }
        guard low > 0 else {
            let first = segments.first
            throw LedgerError(
                .corruptLog,
                "sequence \(start) is before the first segment, which starts at \(first?.base ?? 0): "
                    + "the segments before it are missing",
                location: first.map { LogLocation(segment: $0.name, offset: 0, sequence: $0.base) }
            )
        }
        position = low - 1
        let walk = try reader.walk(ofSegment: position)
        let opened = try reader.openSegment(position)
        file = opened
        guard let entry = walk.index.startingPoint(for: start) else {
            throw LedgerError(
                .corruptLog,
                "segment \(opened.name) holds no frames, but the log continues after it",
                location: opened.location(Int64(SegmentHeader.byteCount), segments[position].base)
            )
        }
        var frameOffset = entry.offset
        var previousOffset = entry.previousOffset
        while true {
            guard case .header(let header) = try opened.frameHeader(at: frameOffset) else {
                throw LedgerError(
                    .corruptLog,
                    "damaged frame header in \(opened.name)",
                    location: opened.location(frameOffset, nil)
                )
            }
            if header.lastSequence >= start {
                expected = header.firstSequence
                break
            }
            previousOffset = frameOffset
            frameOffset += Int64(header.frameLength)
        }
        offset = frameOffset
        if let previousOffset {
            previous = try reader.checkedFrame(opened, at: previousOffset).1
        } else if position == 0 {
            previous = .zero
        } else {
            let (header, hash) = try reader.lastFrame(ofSegment: position - 1)
            guard header.lastSequence + 1 == segments[position].base else {
                throw LedgerError(
                    .corruptLog,
                    "segment \(opened.name) starts at sequence \(segments[position].base), but the segment "
                        + "before it ends at \(header.lastSequence): a segment is missing or misplaced",
                    location: opened.location(0, segments[position].base)
                )
            }
            previous = hash
        }
    }

    private mutating func readFrame() throws -> LogFrame {
        while true {
            guard let current = file else {
                preconditionFailure("no segment open while reading")
            }
            if offset >= current.size {
                try openNextSegment(after: current)
                continue
            }
            guard case .header(let header) = try current.frameHeader(at: offset),
                offset + Int64(header.frameLength) <= current.size
            else {
                throw LedgerError(
                    .corruptLog,
                    "damaged or incomplete frame in \(current.name) before the end of the log"
                        + LogReader.salvageHint(intactThrough: expected - 1),
                    location: current.location(offset, expected)
                )
            }
            guard header.firstSequence == expected else {
                throw LedgerError(
                    .corruptLog,
                    SequenceMismatch.message(in: current.name, expected: expected, found: header.firstSequence),
                    location: current.location(offset, expected)
                )
            }
            let location = current.location(offset, header.firstSequence)
            let codec = reader.codec
            let previous = self.previous
            let frame = try current.withFrame(at: offset, header: header) { bytes -> LogFrame in
                let check = SegmentFile.check(bytes, header: header)
                guard check.payloadIntact else {
                    throw LedgerError(
                        .corruptLog,
                        "frame payload checksum mismatch in \(location.segment)"
                            + LogReader.salvageHint(intactThrough: header.firstSequence - 1),
                        location: location
                    )
                }
                if let previous, header.previousHash != previous {
                    throw LedgerError(
                        .corruptLog,
                        "hash chain broken in \(location.segment): the frame's previousHash "
                            + "\(header.previousHash.hex) is not the hash of the frame before it (\(previous.hex))",
                        location: location
                    )
                }
                let stored = UnsafeRawBufferPointer(rebasing: bytes[FrameHeader.byteCount...])
                let payload: [UInt8]
                switch header.codec {
                case .none:
                    payload = Array(stored)
                case .zstd, .zstdDictionary:
                    do {
                        payload = try codec.decompress(
                            stored,
                            rawLength: header.rawLength,
                            dictionary: header.codec == .zstdDictionary
                        )
                    } catch let error as LedgerError {
                        throw LedgerError(error.code, error.message, location: location)
                    }
                }
                return LogFrame(
                    firstSequence: header.firstSequence,
                    eventCount: header.eventCount,
                    payload: payload,
                    hash: check.hash.bytes,
                    previousHash: header.previousHash.bytes,
                    location: location
                )
            }
            reader.framesRead += 1
            self.previous = FrameHash(bytes: frame.hash)
            expected = header.lastSequence + 1
            offset += Int64(header.frameLength)
            return frame
        }
    }

    private mutating func openNextSegment(after current: SegmentFile) throws {
        let segments = reader.segments
        let next = position + 1
        guard next < segments.count else {
            throw LedgerError(
                .corruptLog,
                "the log ends at sequence \(expected - 1) in \(current.name), but the reader's snapshot "
                    + "goes to \(reader.lastSequence): the segment shrank or a segment is missing",
                location: current.location(offset, expected)
            )
        }
        guard segments[next].base == expected else {
            throw LedgerError(
                .corruptLog,
                "segment \(segments[next].name) starts at sequence \(segments[next].base), but the segment "
                    + "before it ends at \(expected - 1): a segment is missing or misplaced",
                location: LogLocation(segment: segments[next].name, offset: 0, sequence: segments[next].base)
            )
        }
        file = nil
        file = try reader.openSegment(next)
        position = next
        offset = Int64(SegmentHeader.byteCount)
    }
}
