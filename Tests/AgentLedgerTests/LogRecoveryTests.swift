import AgentLedgerTestSupport
import Testing

@testable import AgentLedger

@Suite("Recovery: torn tails are cut, damage is refused with its location")
struct LogRecoveryTests {
    /// A store with `count` frames in one segment; returns the appended frames and their offsets.
    private func makeStore(
        _ store: String,
        count: Int,
        seed: UInt64,
        options: LogOptions = LogOptions()
    ) throws -> (appended: [LogTestHelpers.Appended], offsets: [Int64]) {
        var random = LogTestRandom(seed: seed)
        let log = try EventLog.openForWriting(directory: store, options: options)
        let appended = try LogTestHelpers.appendFrames(log, count: count, size: 150, random: &random)
        try log.sync()
        log.close()
        let offsets = try LogTestHelpers.readAll(store).map(\.location.offset)
        return (appended, offsets)
    }

    private func lastSequence(_ frames: ArraySlice<LogTestHelpers.Appended>) -> UInt64 {
        frames.last.map { $0.firstSequence + UInt64($0.eventCount) - 1 } ?? 0
    }

    @Test("a cut at every byte of the last two frames: exactly the complete frames remain, and appends go on")
    func tornTailAtEveryOffset() throws {
        let directory = try TemporaryDirectory()
        let original = directory.path + "/original"
        let (appended, offsets) = try makeStore(original, count: 5, seed: 10)
        let segment = LogTestHelpers.segmentPath(original, base: 1)
        let bytes = try LogFileBytes.read(segment)
        let frameEnds = offsets.dropFirst().map { Int($0) } + [bytes.count]
        let store = directory.path + "/store"
        var random = LogTestRandom(seed: 11)
        for cut in Int(offsets[3])..<bytes.count {
            try? LogFileBytes.remove(store)
            try LogFileBytes.copyDirectory(original, to: store)
            try LogFileBytes.truncate(LogTestHelpers.segmentPath(store, base: 1), to: cut)
            let complete = frameEnds.filter { $0 <= cut }.count
            let log = try EventLog.openForWriting(directory: store)
            #expect(log.lastSequence == lastSequence(appended.prefix(complete)), "cut at \(cut)")
            let boundary = cut == (complete == 0 ? 32 : frameEnds[complete - 1])
            if boundary {
                #expect(log.recovery.truncatedTail == nil, "cut at \(cut)")
            } else {
                let tail = try #require(log.recovery.truncatedTail, "cut at \(cut)")
                #expect(tail.offset == Int64(frameEnds[complete - 1]))
                #expect(tail.bytesCut == Int64(cut - frameEnds[complete - 1]))
                #expect(tail.segment == "00000000000000000001.seg")
                #expect(tail.sequence == log.lastSequence + 1)
            }
            #expect(try LogFileBytes.size(LogTestHelpers.segmentPath(store, base: 1)) == frameEnds[complete - 1])
            let extra = random.text(count: 80)
            try log.append(firstSequence: log.lastSequence + 1, eventCount: 2, payload: extra)
            try log.sync()
            log.close()
            let frames = try LogTestHelpers.readAll(store)
            #expect(Array(LogTestHelpers.appended(frames).dropLast()) == Array(appended.prefix(complete)))
            #expect(frames.last?.payload == extra)
            #expect(LogReader.verify(directory: store).isIntact, "cut at \(cut)")
        }
    }

    @Test("zeros after the frames are unused space; zeros over the end of the last frame are a torn tail")
    func zeroedTail() throws {
        let directory = try TemporaryDirectory()
        let (appended, offsets) = try makeStore(directory.path, count: 4, seed: 12)
        let segment = LogTestHelpers.segmentPath(directory.path, base: 1)
        let size = try LogFileBytes.size(segment)
        try LogFileBytes.append([UInt8](repeating: 0, count: 4096), to: segment)
        var log = try EventLog.openForWriting(directory: directory.path)
        #expect(log.recovery.truncatedTail == nil && log.recovery.isClean)
        #expect(log.recovery.unusedTailBytes == 4096)
        #expect(log.lastSequence == lastSequence(appended[...]))
        #expect(try LogFileBytes.size(segment) == size + 4096, "kept for the next frames")
        log.close()
        #expect(try LogFileBytes.size(segment) == size, "cut when the log closes")
        // Zeros over the second half of the last frame, as a file system may leave after a crash.
        var bytes = try LogFileBytes.read(segment)
        let lastStart = Int(offsets[3])
        for index in (lastStart + (size - lastStart) / 2)..<size {
            bytes[index] = 0
        }
        try LogFileBytes.write(bytes + [UInt8](repeating: 0, count: 100), to: segment)
        log = try EventLog.openForWriting(directory: directory.path)
        #expect(log.recovery.truncatedTail?.offset == Int64(lastStart))
        #expect(log.lastSequence == lastSequence(appended.prefix(3)))
        log.close()
    }

    @Test("a garbage tail is cut off")
    func garbageTail() throws {
        let directory = try TemporaryDirectory()
        let (appended, _) = try makeStore(directory.path, count: 3, seed: 13)
        var random = LogTestRandom(seed: 14)
        let segment = LogTestHelpers.segmentPath(directory.path, base: 1)
        try LogFileBytes.append(random.bytes(count: 777), to: segment)
        let log = try EventLog.openForWriting(directory: directory.path)
        #expect(log.recovery.truncatedTail?.bytesCut == 777)
        #expect(log.lastSequence == lastSequence(appended[...]))
        log.close()
    }

    @Test("a flipped bit before the tail is corruption, located by segment, offset and sequence")
    func flippedBitInTheMiddle() throws {
        let directory = try TemporaryDirectory()
        let original = directory.path + "/original"
        let (appended, offsets) = try makeStore(original, count: 5, seed: 15)
        let store = directory.path + "/store"
        // In a payload, in a header's length, in a header's previous hash.
        for (position, where_) in [(100, "payload"), (0, "length"), (40, "previous hash")] {
            try? LogFileBytes.remove(store)
            try LogFileBytes.copyDirectory(original, to: store)
            try LogFileBytes.flipBit(LogTestHelpers.segmentPath(store, base: 1), at: Int(offsets[2]) + position, bit: 3)
            let error = LogTestHelpers.ledgerError { _ = try EventLog.openForWriting(directory: store) }
            #expect(error?.code == .corruptLog, "\(where_)")
            #expect(
                error?.location
                    == LogLocation(
                        segment: "00000000000000000001.seg",
                        offset: offsets[2],
                        sequence: appended[2].firstSequence
                    ),
                "\(where_)"
            )
            // Nothing was changed, and a reader and verify see the same damage.
            #expect(
                try LogFileBytes.read(LogTestHelpers.segmentPath(store, base: 1)).count
                    == LogFileBytes.size(LogTestHelpers.segmentPath(original, base: 1))
            )
            #expect(LogTestHelpers.ledgerError { _ = try LogTestHelpers.readAll(store) }?.code == .corruptLog)
            let verification = LogReader.verify(directory: store)
            #expect(verification.hasCorruption)
            #expect(verification.problems.first?.location?.offset == offsets[2])
        }
    }

    @Test("a damaged last frame followed by valid data is not mistaken for a torn tail")
    func damageBeforeValidFrame() throws {
        let directory = try TemporaryDirectory()
        let (_, offsets) = try makeStore(directory.path, count: 5, seed: 16)
        let segment = LogTestHelpers.segmentPath(directory.path, base: 1)
        // Zero the header of frame 4 (index 3): frame 5 after it is still valid.
        var bytes = try LogFileBytes.read(segment)
        for index in Int(offsets[3])..<Int(offsets[3]) + 64 {
            bytes[index] = 0
        }
        try LogFileBytes.write(bytes, to: segment)
        let error = LogTestHelpers.ledgerError { _ = try EventLog.openForWriting(directory: directory.path) }
        #expect(error?.code == .corruptLog)
        #expect(error?.location?.offset == offsets[3])
        #expect(error?.message.contains("a valid frame follows at offset \(offsets[4])") == true)
    }

    @Test("a valid frame with the wrong sequence or a broken chain is corruption")
    func sequenceGapAndBrokenChain() throws {
        let directory = try TemporaryDirectory()
        let (_, offsets) = try makeStore(directory.path, count: 3, seed: 17)
        let segment = LogTestHelpers.segmentPath(directory.path, base: 1)
        let original = try LogFileBytes.read(segment)
        // Rewrite the last frame's header with another first sequence (checksum recomputed).
        for change in ["sequence", "chain"] {
            var bytes = original
            let start = Int(offsets[2])
            var header = try bytes[start..<start + 64].withUnsafeBytes { try FrameHeader.decode($0).get() }
            if change == "sequence" {
                header.firstSequence += 1
            } else {
                header.previousHash = FrameHash.zero
            }
            bytes.withUnsafeMutableBytes {
                header.encode(into: UnsafeMutableRawBufferPointer(rebasing: $0[start..<start + 64]))
            }
            try LogFileBytes.write(bytes, to: segment)
            let error = LogTestHelpers.ledgerError { _ = try EventLog.openForWriting(directory: directory.path) }
            #expect(error?.code == .corruptLog, "\(change)")
            #expect(error?.location?.offset == offsets[2], "\(change)")
            #expect(error?.message.contains(change == "sequence" ? "sequence gap" : "hash chain broken") == true)
        }
    }

    @Test("a deleted middle or first segment is refused; so is damage inside a sealed segment")
    func missingSegments() throws {
        let directory = try TemporaryDirectory()
        let original = directory.path + "/original"
        _ = try makeStore(original, count: 60, seed: 18, options: LogTestHelpers.smallSegments)
        let names = try LogTestHelpers.segmentNames(original)
        #expect(names.count >= 3)
        let store = directory.path + "/store"
        for (removed, blamed) in [(names[1], names[2]), (names[0], names[1])] {
            try? LogFileBytes.remove(store)
            try LogFileBytes.copyDirectory(original, to: store)
            try LogFileBytes.remove(LogTestHelpers.logDirectory(store) + "/" + removed)
            let error = LogTestHelpers.ledgerError { _ = try EventLog.openForWriting(directory: store) }
            #expect(error?.code == .corruptLog)
            #expect(error?.location?.segment == blamed)
            #expect(error?.message.contains("missing") == true)
            #expect(LogTestHelpers.ledgerError { _ = try LogTestHelpers.readAll(store) }?.code == .corruptLog)
            #expect(LogReader.verify(directory: store).problems.contains { $0.location?.segment == blamed })
        }
        // A torn end of a sealed segment is corruption, not a torn tail.
        try? LogFileBytes.remove(store)
        try LogFileBytes.copyDirectory(original, to: store)
        let sealed = LogTestHelpers.logDirectory(store) + "/" + names[0]
        try LogFileBytes.truncate(sealed, to: try LogFileBytes.size(sealed) - 10)
        let error = LogTestHelpers.ledgerError { _ = try EventLog.openForWriting(directory: store) }
        #expect(error?.code == .corruptLog)
        #expect(error?.location?.segment == names[0])
    }

    @Test("a torn header of the last segment is rewritten; a damaged one with frames after it is refused")
    func tornSegmentHeader() throws {
        let directory = try TemporaryDirectory()
        let original = directory.path + "/original"
        let (appended, _) = try makeStore(original, count: 60, seed: 19, options: LogTestHelpers.smallSegments)
        let names = try LogTestHelpers.segmentNames(original)
        let lastBase = try #require(SegmentFileName.baseSequence(of: names[names.count - 1]))
        let store = directory.path + "/store"
        // A new segment file with nothing (a crash right after creation), or part of its header.
        for size in [0, 5, 31, 32] {
            try? LogFileBytes.remove(store)
            try LogFileBytes.copyDirectory(original, to: store)
            let next = lastSequence(appended[...]) + 1
            let path = LogTestHelpers.segmentPath(store, base: next)
            var header = SegmentHeader(baseSequence: next).encoded()
            if size == 32 {
                header[20] ^= 1  // all 32 bytes there, but damaged
            }
            try LogFileBytes.write(Array(header.prefix(size)), to: path)
            let log = try EventLog.openForWriting(directory: store, options: LogTestHelpers.smallSegments)
            #expect(log.recovery.repairedSegmentHeader == SegmentFileName.name(forBase: next), "size \(size)")
            #expect(log.lastSequence == next - 1)
            try log.append(firstSequence: next, eventCount: 1, payload: [1, 2, 3])
            try log.sync()
            log.close()
            #expect(try LogTestHelpers.readAll(store).last?.payload == [1, 2, 3])
            #expect(LogReader.verify(directory: store).isIntact)
        }
        // The last segment's header damaged with frames after it: corruption.
        try? LogFileBytes.remove(store)
        try LogFileBytes.copyDirectory(original, to: store)
        try LogFileBytes.flipBit(LogTestHelpers.segmentPath(store, base: lastBase), at: 18)
        let error = LogTestHelpers.ledgerError { _ = try EventLog.openForWriting(directory: store) }
        #expect(error?.code == .corruptLog)
        #expect(error?.location == LogLocation(segment: names[names.count - 1], offset: 0, sequence: lastBase))
    }

    @Test("a torn tail is repaired once: the next open finds the log clean")
    func reportedOnce() throws {
        let directory = try TemporaryDirectory()
        _ = try makeStore(directory.path, count: 2, seed: 20)
        let segment = LogTestHelpers.segmentPath(directory.path, base: 1)
        try LogFileBytes.truncate(segment, to: try LogFileBytes.size(segment) - 1)
        let first = try EventLog.openForWriting(directory: directory.path)
        #expect(first.recovery.truncatedTail != nil)
        #expect(first.recovery.truncatedTail?.reason.contains("incomplete frame") == true)
        first.close()
        let second = try EventLog.openForWriting(directory: directory.path)
        #expect(second.recovery.isClean)
        second.close()
    }
}
