import AgentLedgerTestSupport
import Foundation
import Synchronization
import Testing

@testable import AgentLedger

@Suite("LogReader and verify")
struct LogReaderTests {
    private func makeStore(_ store: String, count: Int, seed: UInt64) throws -> [LogTestHelpers.Appended] {
        var random = LogTestRandom(seed: seed)
        let log = try EventLog.openForWriting(directory: store, options: LogTestHelpers.smallSegments)
        let appended = try LogTestHelpers.appendFrames(log, count: count, size: 300, random: &random)
        try log.sync()
        log.close()
        return appended
    }

    @Test("an empty store and a store without frames read as empty")
    func emptyLogs() throws {
        let directory = try TemporaryDirectory()
        try EventLog.openForWriting(directory: directory.path).close()
        let reader = try LogReader.open(directory: directory.path)
        #expect(reader.lastSequence == 0)
        #expect(reader.headHash == [UInt8](repeating: 0, count: 32))
        var frames = reader.frames(from: 1)
        #expect(try frames.next() == nil)
        let verification = LogReader.verify(directory: directory.path)
        #expect(verification.isIntact)
        #expect(verification.lastSequence == 0)
        #expect(verification.segmentCount == 1)
        let missing = LogTestHelpers.ledgerError { _ = try LogReader.open(directory: directory.path + "/nothing") }
        #expect(missing?.code == .io)
    }

    @Test("reading from a middle sequence starts at the frame holding it and decodes nothing before")
    func startsInTheMiddle() throws {
        let directory = try TemporaryDirectory()
        let appended = try makeStore(directory.path, count: 80, seed: 30)
        // Damage the payload of the very first frame: a read that decoded it would fail.
        let first = try LogTestHelpers.readAll(directory.path)[0]
        try LogFileBytes.flipBit(
            LogTestHelpers.segmentPath(directory.path, base: 1),
            at: Int(first.location.offset) + 70
        )
        let fileSystem = FaultyFileSystem()
        let reader = try LogReader.open(directory: directory.path, fileSystem: fileSystem)
        #expect(reader.lastSequence == appended.last.map { $0.firstSequence + UInt64($0.eventCount) - 1 })
        let target = appended[50]
        let wanted = target.firstSequence + UInt64(target.eventCount) - 1  // the frame's last event
        fileSystem.resetStatistics()
        reader.framesRead = 0
        var iterator = reader.frames(from: wanted)
        let frames = try (0..<5).map { _ in try #require(try iterator.next()) }
        #expect(LogTestHelpers.appended(frames) == Array(appended[50..<55]))
        // Five frames, plus the one before them to check the hash chain's link.
        #expect(reader.framesRead == 6)
        // Far less than the segments before it were read.
        let before = frames[0].location
        #expect(fileSystem.statistics.bytesRead < 4 * Int64(LogOptions.minimumSegmentSizeBytes))
        #expect(before.sequence == target.firstSequence)
        // Reading from the start hits the damage, with its location.
        let error = LogTestHelpers.ledgerError { _ = try LogTestHelpers.readAll(directory.path) }
        #expect(error?.code == .corruptLog)
        #expect(error?.location?.offset == first.location.offset)
    }

    @Test("the first frame of a segment, the first of the log, and a through bound")
    func boundaries() throws {
        let directory = try TemporaryDirectory()
        let appended = try makeStore(directory.path, count: 40, seed: 31)
        let reader = try LogReader.open(directory: directory.path)
        let all = try LogTestHelpers.readAll(directory.path)
        #expect(LogTestHelpers.appended(all) == appended)
        // Start exactly at the first frame of every segment.
        let segmentStarts = all.filter { $0.location.offset == Int64(SegmentHeader.byteCount) }
        #expect(segmentStarts.count > 2)
        for start in segmentStarts {
            var iterator = reader.frames(from: start.firstSequence)
            #expect(try iterator.next() == start)
        }
        // A through bound stops after the frame holding it.
        var bounded = reader.frames(from: 0, through: appended[9].firstSequence)
        var count = 0
        while try bounded.next() != nil {
            count += 1
        }
        #expect(count == 10)
        var beyond = reader.frames(from: reader.lastSequence + 1)
        #expect(try beyond.next() == nil)
    }

    @Test("a reader treats an incomplete or bad frame at the very end as not yet written")
    func toleratesPartialTail() throws {
        let directory = try TemporaryDirectory()
        var random = LogTestRandom(seed: 32)
        let log = try EventLog.openForWriting(directory: directory.path)
        let appended = try LogTestHelpers.appendFrames(log, count: 4, random: &random)
        try log.sync()
        let headBefore = log.headHash
        let lastBefore = log.lastSequence
        try log.append(firstSequence: log.lastSequence + 1, eventCount: 1, payload: random.text(count: 2000))
        let segment = LogTestHelpers.segmentPath(directory.path, base: 1)
        let full = try LogFileBytes.read(segment)
        let lastStart = Int(try LogTestHelpers.readAll(directory.path).last!.location.offset)
        log.close()
        // Half a frame written, a frame whose payload is not complete yet, zeros in its place.
        var zeroed = full
        for index in (lastStart + 64)..<full.count {
            zeroed[index] = 0
        }
        for bytes in [Array(full.prefix(lastStart + 30)), Array(full.prefix(lastStart + 100)), zeroed] {
            try LogFileBytes.write(bytes, to: segment)
            let reader = try LogReader.open(directory: directory.path)
            #expect(reader.lastSequence == lastBefore)
            #expect(reader.headHash == headBefore)
            #expect(LogTestHelpers.appended(try LogTestHelpers.readAll(directory.path)) == appended)
            // The reader changed nothing.
            #expect(try LogFileBytes.read(segment) == bytes)
            let verification = LogReader.verify(directory: directory.path)
            #expect(!verification.hasCorruption)
            #expect(verification.problems.map(\.code) == [.truncatedTail])
            #expect(verification.lastSequence == lastBefore)
        }
    }

    @Test("verify collects every problem with its location, and checks a recorded head")
    func verifyCollects() throws {
        let directory = try TemporaryDirectory()
        let appended = try makeStore(directory.path, count: 60, seed: 33)
        let intact = LogReader.verify(directory: directory.path)
        #expect(intact.isIntact)
        #expect(intact.frameCount == 60)
        #expect(intact.eventCount == appended.reduce(0) { $0 + UInt64($1.eventCount) })
        #expect(intact.payloadByteCount == Int64(appended.reduce(0) { $0 + $1.payload.count }))
        #expect(intact.segmentCount == (try LogTestHelpers.segmentNames(directory.path).count))
        let reader = try LogReader.open(directory: directory.path)
        #expect(intact.head == reader.logHead)
        #expect(intact.headHashHex == reader.headHashHex)
        // A recorded head in the middle matches; a wrong one does not; a sequence inside a frame cannot be checked.
        let all = try LogTestHelpers.readAll(directory.path)
        let middle = LogHead(sequence: all[20].lastSequence, hash: all[20].hash)
        #expect(LogReader.verify(directory: directory.path, expectedHead: middle).expectedHeadMatched == true)
        let parsed = try #require(LogHead(sequence: middle.sequence, hashHex: middle.hashHex.uppercased()))
        #expect(parsed == middle)
        let wrong = LogHead(sequence: all[20].lastSequence, hash: all[21].hash)
        let mismatch = LogReader.verify(directory: directory.path, expectedHead: wrong)
        #expect(mismatch.expectedHeadMatched == false)
        #expect(mismatch.hasCorruption)
        // Two damaged frames in two different segments: both are reported.
        let victims = [all[5], all[45]]
        #expect(victims[0].location.segment != victims[1].location.segment)
        for victim in victims {
            let path = LogTestHelpers.logDirectory(directory.path) + "/" + victim.location.segment
            try LogFileBytes.flipBit(path, at: Int(victim.location.offset) + 80)
        }
        let damaged = LogReader.verify(directory: directory.path)
        #expect(damaged.hasCorruption)
        #expect(damaged.problems.compactMap(\.location) == victims.map(\.location))
        #expect(damaged.frameCount == 58)
        #expect(damaged.lastSequence == intact.lastSequence)
        // The writer's recovery only reads frame headers of sealed segments: damage to a payload
        // there is found by readers and verify, and by a writer only if it is in the last segment.
        #expect(
            LogTestHelpers.ledgerError { _ = try LogTestHelpers.readAll(directory.path) }?.location
                == victims[0].location
        )
    }

    /// What the writer thread of ``readsWhileAWriterAppends()`` reports.
    private final class WriterState: Sendable {
        let finished = Mutex<(done: Bool, last: UInt64, error: String?)>((false, 0, nil))
    }

    @Test("readers opened while a writer appends (and rolls over) see a consistent prefix every time")
    func readsWhileAWriterAppends() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path
        try EventLog.openForWriting(directory: path).close()
        let state = WriterState()
        let thread = Thread {
            do {
                var random = LogTestRandom(seed: 34)
                let log = try EventLog.openForWriting(directory: path, options: LogTestHelpers.smallSegments)
                for index in 0..<600 {
                    let size = Int(random.next() % 900) + 1
                    let payload = index % 3 == 0 ? random.bytes(count: size) : random.text(count: size)
                    try log.append(firstSequence: log.lastSequence + 1, eventCount: 2, payload: payload)
                }
                log.close()
                state.finished.withLock { $0 = (true, log.lastSequence, nil) }
            } catch {
                state.finished.withLock { $0 = (true, 0, "\(error)") }
            }
        }
        thread.start()
        var snapshots = 0
        var lastSeen: UInt64 = 0
        while true {
            let finished = state.finished.withLock { $0.done }
            do {
                let reader = try LogReader.open(directory: path)
                let frames = try LogTestHelpers.readAll(path)  // a second, later snapshot
                var expected: UInt64 = 1
                for frame in frames {
                    #expect(frame.firstSequence == expected)
                    expected = frame.lastSequence + 1
                }
                #expect(expected - 1 >= reader.lastSequence)
                #expect(reader.lastSequence >= lastSeen)
                lastSeen = reader.lastSequence
                snapshots += 1
            }
            if finished {
                break
            }
        }
        let outcome = state.finished.withLock { $0 }
        #expect(outcome.error == nil)
        #expect(lastSeen == outcome.last)
        #expect(outcome.last == 1200)
        #expect(snapshots > 1)
        #expect(LogReader.verify(directory: path).isIntact)
    }
}
