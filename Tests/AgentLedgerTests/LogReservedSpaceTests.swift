import AgentLedgerTestSupport
import Foundation
import Synchronization
import Testing

@testable import AgentLedger

/// The zeros the writer reserves ahead of its frames (``LogOptions/preallocationBytes``): where
/// they are written, that readers, verification and recovery take them for unused space, and
/// that a finished segment and a closed log are cut back to their last frame.
@Suite("Log: space reserved ahead of the frames")
struct LogReservedSpaceTests {
    /// The end of the last frame of the last segment, as a fresh reader finds it.
    private func framesEnd(_ store: String) throws -> Int {
        Int(try #require(try LogReader.open(directory: store).segments.last?.walk?.index.endOffset))
    }

    @Test("frames are written over reserved zeros; readers and verify see the frames and no problem")
    func writesIntoReservedSpace() throws {
        let directory = try TemporaryDirectory()
        var random = LogTestRandom(seed: 31)
        let log = try EventLog.openForWriting(directory: directory.path)
        let segment = LogTestHelpers.segmentPath(directory.path, base: 1)
        var appended = try LogTestHelpers.appendFrames(log, count: 1, random: &random)
        try log.sync()
        let reserved = try LogFileBytes.size(segment)
        let firstEnd = try framesEnd(directory.path)
        // At least 64 KiB ahead of a small segment's first frame.
        #expect(reserved == firstEnd + 65_536)
        appended += try LogTestHelpers.appendFrames(log, count: 30, random: &random)
        try log.sync()
        let end = try framesEnd(directory.path)
        #expect(end > firstEnd && end < reserved)
        #expect(try LogFileBytes.size(segment) == reserved, "the frames went into the reserved space")
        let bytes = try LogFileBytes.read(segment)
        #expect(bytes[Int(end)...].allSatisfy { $0 == 0 })
        #expect(LogTestHelpers.appended(try LogTestHelpers.readAll(directory.path)) == appended)
        let verification = LogReader.verify(directory: directory.path)
        #expect(verification.isIntact, "\(verification.problems)")
        #expect(verification.byteCount == Int64(end) && verification.unusedByteCount == Int64(reserved - end))
        log.close()
        #expect(try LogFileBytes.size(segment) == end, "closing cuts the reserved space")
        #expect(LogReader.verify(directory: directory.path).unusedByteCount == 0)
    }

    @Test("a reservation grows with the segment, up to preallocationBytes and the segment size")
    func reservationSizes() throws {
        let directory = try TemporaryDirectory()
        var random = LogTestRandom(seed: 32)
        let options = LogOptions(segmentSizeBytes: 200_000, preallocationBytes: 100_000)
        let log = try EventLog.openForWriting(directory: directory.path, options: options)
        defer { log.close() }
        let segment = LogTestHelpers.segmentPath(directory.path, base: 1)
        var size = try LogFileBytes.size(segment)
        var growths = 0
        while log.segments.count == 1 {
            try LogTestHelpers.appendFrames(log, count: 1, size: 2_000, random: &random)
            let now = try LogFileBytes.size(segment)
            guard log.segments.count == 1, now != size else {
                continue
            }
            // Reserved when a frame ended the file: as much as the frames so far, at least 64 KiB
            // and at most 100,000 bytes, never past the segment size.
            let end = Int(log.segments[0].byteCount)
            #expect(size < end, "only a frame that ends the file makes the log reserve more")
            #expect(now == min(end + min(100_000, max(65_536, end)), 200_000), "after \(end) bytes of frames")
            size = now
            growths += 1
        }
        #expect(growths >= 3 && size == 200_000)
    }

    @Test("a segment is cut back to its last frame when the next one starts; zeros there are damage")
    func sealedSegmentsHoldNoReservedSpace() throws {
        let directory = try TemporaryDirectory()
        var random = LogTestRandom(seed: 33)
        let options = LogOptions(segmentSizeBytes: 100_000)
        let log = try EventLog.openForWriting(directory: directory.path, options: options)
        try LogTestHelpers.appendFrames(log, count: 200, size: 3_000, random: &random)
        try log.sync()
        try #require(log.segments.count >= 3)
        for info in log.segments.dropLast() {
            let path = LogTestHelpers.logDirectory(directory.path) + "/" + info.name
            #expect(try LogFileBytes.size(path) == Int(info.byteCount), "\(info.name)")
        }
        log.close()
        #expect(LogReader.verify(directory: directory.path).isIntact)
        // Zeros after the last frame of a sealed segment are not reserved space.
        let first = LogTestHelpers.segmentPath(directory.path, base: 1)
        try LogFileBytes.append([UInt8](repeating: 0, count: 1_000), to: first)
        #expect(LogReader.verify(directory: directory.path).hasCorruption)
        #expect(throws: LedgerError.self) { try EventLog.openForWriting(directory: directory.path, options: options) }
    }

    @Test("after a crash, recovery keeps the reserved zeros and the next frames go there")
    func recoveryKeepsReservedSpace() throws {
        let directory = try TemporaryDirectory()
        let store = directory.path + "/store"
        let copy = directory.path + "/copy"
        var random = LogTestRandom(seed: 34)
        let log = try EventLog.openForWriting(directory: store)
        var appended = try LogTestHelpers.appendFrames(log, count: 5, random: &random)
        try log.sync()
        // The files as a crash leaves them: the writer still open, its reserved space in place.
        try LogFileBytes.copyDirectory(store, to: copy)
        log.close()
        let segment = LogTestHelpers.segmentPath(copy, base: 1)
        let size = try LogFileBytes.size(segment)
        let end = try framesEnd(copy)
        try #require(size > end)
        let reopened = try EventLog.openForWriting(directory: copy)
        #expect(reopened.recovery.isClean && reopened.recovery.truncatedTail == nil)
        #expect(reopened.recovery.unusedTailBytes == Int64(size - end))
        appended += try LogTestHelpers.appendFrames(reopened, count: 5, random: &random)
        try reopened.sync()
        #expect(try LogFileBytes.size(segment) == size, "written over the zeros, not after them")
        #expect(LogTestHelpers.appended(try LogTestHelpers.readAll(copy)) == appended)
        reopened.close()
        #expect(LogReader.verify(directory: copy).isIntact)
    }

    @Test("preallocationBytes 0 appends only; a negative value is refused")
    func preallocationOff() throws {
        let directory = try TemporaryDirectory()
        var random = LogTestRandom(seed: 35)
        let log = try EventLog.openForWriting(directory: directory.path, options: LogOptions(preallocationBytes: 0))
        try LogTestHelpers.appendFrames(log, count: 3, random: &random)
        try log.sync()
        let segment = LogTestHelpers.segmentPath(directory.path, base: 1)
        #expect(try LogFileBytes.size(segment) == framesEnd(directory.path))
        log.close()
        let error = #expect(throws: LedgerError.self) {
            try EventLog.openForWriting(
                directory: directory.path + "/other",
                options: LogOptions(preallocationBytes: -1)
            )
        }
        #expect(error?.code == .invalidArgument)
    }

    @Test("a ledger's stats count the frames in logBytes and the reserved zeros apart")
    func ledgerStats() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let ledger = try await store.open(durability: .fsync)
        for index in 0..<20 {
            try await ledger.session("s").addItems([ItemFactory.user("message \(index)")])
        }
        let stats = try await ledger.stats()
        let segment = try LogFileBytes.size(LogTestHelpers.segmentPath(store.path, base: 1))
        #expect(stats.logReservedBytes > 0)
        #expect(stats.logBytes + stats.logReservedBytes == Int64(segment))
        #expect(stats.logBytes == Int64(try framesEnd(store.path)))
        try await ledger.close()
        let reopened = try await store.open(durability: .fsync)
        let after = try await reopened.stats()
        #expect(after.logReservedBytes == 0 && after.logBytes == stats.logBytes)
        try await reopened.close()
    }

    @Test("only durability fsync reserves: with writes waiting for a later fsync the log appends")
    func reservesWithFsyncOnly() async throws {
        for durability in [Durability.fsync, .interval(milliseconds: 5), .none] {
            let store = try TemporaryStore()
            defer { store.remove() }
            let ledger = try await store.open(durability: durability)
            try await ledger.session("s").addItems([ItemFactory.user("one")])
            let segment = try LogFileBytes.size(LogTestHelpers.segmentPath(store.path, base: 1))
            let end = try framesEnd(store.path)
            #expect((segment > end) == (durability == .fsync), "\(durability): \(segment) bytes, frames end at \(end)")
            try await ledger.close()
        }
    }

    @Test("a writer without reservation cuts the zeros a crashed writer left, then only appends")
    func appendOnlyAfterCrashedReservation() async throws {
        for durability in [Durability.interval(milliseconds: 60_000), .none] {
            let directory = try TemporaryDirectory()
            let store = directory.path + "/store"
            let image = directory.path + "/image"
            let ledger = try await Ledger.open(at: store, options: LedgerOptions(durability: .fsync))
            for index in 0..<3 {
                try await ledger.session("s").addItems([ItemFactory.user("before \(index)")])
            }
            // The files as a crash leaves them: the reserved zeros are still there.
            try LogFileBytes.copyDirectory(store, to: image)
            try await ledger.close()
            let segment = LogTestHelpers.segmentPath(image, base: 1)
            let end = try framesEnd(image)
            try #require(try LogFileBytes.size(segment) > end)
            let reopened = try await Ledger.open(at: image, options: LedgerOptions(durability: durability))
            #expect(try LogFileBytes.size(segment) == end, "\(durability): cut when the log opens")
            for index in 0..<3 {
                let text = "after \(index) " + String(repeating: "x", count: 20_000)
                try await reopened.session("s").addItems([ItemFactory.user(text)])
                #expect(try LogFileBytes.size(segment) == framesEnd(image), "\(durability): appended, not reserved")
            }
            #expect(try await reopened.session("s").items().count == 6)
            try await reopened.close()
            #expect(LogReader.verify(directory: image).isIntact)
        }
    }

    @Test("a short reservation write is cut at the next roll-over: no zeros stay in a sealed segment")
    func shortReservationThenRollOver() throws {
        let directory = try TemporaryDirectory()
        var random = LogTestRandom(seed: 36)
        let fileSystem = FaultyFileSystem()
        let options = LogOptions(segmentSizeBytes: 200_000)
        let log = try EventLog.openForWriting(directory: directory.path, options: options, fileSystem: fileSystem)
        // Write #1 is the first frame, #2 the reservation after it: 100 bytes, then a full disk.
        fileSystem.shortWrite(2, keepingBytes: 100, errno: ENOSPC, pathSuffix: ".seg")
        var appended = try LogTestHelpers.appendFrames(log, count: 1, size: 300, random: &random)
        try log.sync()
        #expect(fileSystem.statistics.faultsInjected == 1)
        let first = LogTestHelpers.segmentPath(directory.path, base: 1)
        #expect(try LogFileBytes.size(first) == Int(log.segments[0].byteCount) + 100)
        // A frame too large for the rest of the segment rolls over.
        let large = random.bytes(count: 250_000)
        try log.append(firstSequence: log.lastSequence + 1, eventCount: 1, payload: large)
        appended.append(.init(firstSequence: log.lastSequence, eventCount: 1, payload: large))
        try log.sync()
        #expect(log.segments.count == 2)
        #expect(try LogFileBytes.size(first) == Int(log.segments[0].byteCount))
        log.close()
        #expect(LogReader.verify(directory: directory.path).isIntact)
        let reopened = try EventLog.openForWriting(directory: directory.path, options: options)
        #expect(reopened.lastSequence == appended.last.map { $0.firstSequence + UInt64($0.eventCount) - 1 })
        reopened.close()
        #expect(LogTestHelpers.appended(try LogTestHelpers.readAll(directory.path)) == appended)
    }

    @Test("readers and verify beside a writer filling reserved space report no damage")
    func readersBesideTheWriter() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path
        let log = try EventLog.openForWriting(directory: path)
        let frames = 3_000
        let done = Mutex(false)
        let writer = UncheckedSendableLog(log)
        let thread = Thread {
            var random = LogTestRandom(seed: 37)
            for _ in 0..<frames {
                _ = try? LogTestHelpers.appendFrames(writer.log, count: 1, size: 3_000, random: &random)
                try? writer.log.sync()
            }
            done.withLock { $0 = true }
        }
        thread.start()
        var runs = 0
        var problems: [String] = []
        var lastSeen: UInt64 = 0
        while !done.withLock({ $0 }) {
            let verification = LogReader.verify(directory: path)
            if verification.hasCorruption {
                problems.append("verify: \(verification.problems)")
            }
            do {
                let reader = try LogReader.open(directory: path)
                #expect(reader.lastSequence >= lastSeen, "a later snapshot never ends before an earlier one")
                lastSeen = reader.lastSequence
            } catch {
                problems.append("open: \(error)")
            }
            runs += 1
        }
        #expect(runs > 0)
        #expect(problems.isEmpty, "\(problems.count) of \(runs) rounds: \(problems.prefix(3))")
        #expect(log.lastSequence > 0)
        log.close()
        #expect(LogReader.verify(directory: path).isIntact)
    }
}

/// The log handed to the thread that appends in ``LogReservedSpaceTests/readersBesideTheWriter()``;
/// only that thread uses it until the test joins it.
private final class UncheckedSendableLog: @unchecked Sendable {
    let log: EventLog

    init(_ log: EventLog) {
        self.log = log
    }
}
