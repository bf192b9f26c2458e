import AgentLedgerTestSupport
import Foundation
import Testing

@testable import AgentLedger

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("Failing writes and fsyncs")
struct LogFaultTests {
    private func errno(of error: LedgerError?) -> Int32? {
        (error?.underlying as? SystemCallError)?.errno
    }

    /// A log opened for writing in a fresh directory, on a file system that injects faults.
    private func openFaultyLog() throws -> (TemporaryDirectory, FaultyFileSystem, EventLog) {
        let directory = try TemporaryDirectory()
        let fileSystem = FaultyFileSystem()
        return (directory, fileSystem, try EventLog.openForWriting(directory: directory.path, fileSystem: fileSystem))
    }

    /// Appends `count` acknowledged frames through `log`.
    private func acknowledged(
        _ log: EventLog,
        count: Int,
        random: inout LogTestRandom
    ) throws -> [LogTestHelpers.Appended] {
        let appended = try LogTestHelpers.appendFrames(log, count: count, size: 250, random: &random)
        try log.sync()
        return appended
    }

    @Test(
        "a failed or short write: the append throws, later appends refuse, reopening recovers the acknowledged frames",
        arguments: [
            FaultyFileSystem.Fault.fail(errno: ENOSPC), .fail(errno: EIO),
            .shortWrite(keepingBytes: 10, errno: ENOSPC), .shortWrite(keepingBytes: 100, errno: ENOSPC),
        ]
    )
    func failedWrite(fault: FaultyFileSystem.Fault) throws {
        let (directory, fileSystem, log) = try openFaultyLog()
        var random = LogTestRandom(seed: 40)
        let good = try acknowledged(log, count: 5, random: &random)
        let lastGood = log.lastSequence
        let headGood = log.headHash
        fileSystem.inject(fault, on: .write, number: 2, pathSuffix: ".seg")
        try log.append(firstSequence: lastGood + 1, eventCount: 1, payload: random.text(count: 300))
        let unsynced = log.lastSequence
        let error = LogTestHelpers.ledgerError {
            try log.append(firstSequence: unsynced + 1, eventCount: 1, payload: random.bytes(count: 300))
        }
        #expect(error?.code == .io)
        let expectedErrno: Int32
        switch fault {
        case .fail(let code), .shortWrite(_, let code):
            expectedErrno = code
        }
        #expect(errno(of: error) == expectedErrno)
        #expect(error?.message.contains("pwrite") == true)
        #expect(log.hasFailed)
        #expect(log.lastSequence == unsynced)
        let refused = LogTestHelpers.ledgerError {
            try log.append(firstSequence: unsynced + 1, eventCount: 1, payload: [1])
        }
        #expect(refused?.code == .writerFailed)
        #expect(LogTestHelpers.ledgerError { try log.sync() }?.code == .writerFailed)
        log.close()
        let reopened = try EventLog.openForWriting(directory: directory.path)
        // The failure cut the segment back to the last sync: the frame appended without a sync
        // (never acknowledged to a caller) is gone with the failed one, whole or partial, so
        // recovery finds nothing to repair.
        #expect(reopened.lastSequence == lastGood)
        #expect(reopened.recovery.truncatedTail == nil)
        try reopened.append(firstSequence: lastGood + 1, eventCount: 1, payload: [7])
        try reopened.sync()
        reopened.close()
        let frames = try LogTestHelpers.readAll(directory.path)
        #expect(Array(LogTestHelpers.appended(frames).prefix(5)) == good)
        #expect(frames[4].hash == headGood)
        #expect(frames.count == 6)
        #expect(frames.last?.payload == [7])
        #expect(LogReader.verify(directory: directory.path).isIntact)
    }

    @Test(
        "after a failed fdatasync the log recovers in place, keeping the store lock: back to its synced frames, and the next appends continue the chain"
    )
    func recoverInPlaceAfterFailedSync() throws {
        let (directory, fileSystem, log) = try openFaultyLog()
        var random = LogTestRandom(seed: 42)
        let good = try acknowledged(log, count: 3, random: &random)
        let lastGood = log.lastSequence
        let headGood = log.headHash
        try LogTestHelpers.appendFrames(log, count: 1, random: &random)
        fileSystem.failSync(1, errno: EIO)
        #expect(LogTestHelpers.ledgerError { try log.sync() }?.code == .io)
        #expect(log.hasFailed)
        let report = try log.recoverAfterFailure(keeping: lastGood)
        #expect(report.isClean, "the failure cut the unsynced frame itself")
        #expect(!log.hasFailed)
        #expect(log.lastSequence == lastGood)
        #expect(log.headHash == headGood)
        #expect(
            LogTestHelpers.ledgerError { _ = try EventLog.openForWriting(directory: directory.path) }?.code
                == .storeLocked,
            "the lock stays held through the recovery"
        )
        try log.append(firstSequence: lastGood + 1, eventCount: 2, payload: [7, 8])
        try log.sync()
        log.close()
        let frames = try LogTestHelpers.readAll(directory.path)
        #expect(Array(LogTestHelpers.appended(frames).prefix(3)) == good)
        #expect(frames.count == 4)
        #expect(frames.last?.payload == [7, 8])
        #expect(frames.last?.firstSequence == lastGood + 1)
        #expect(LogReader.verify(directory: directory.path).isIntact)
    }

    @Test(
        "a failed fsync whose cut fails too: recovery in place cuts the frame again, and throws corruptLog, leaving the log failed, when fewer events remain than were acknowledged"
    )
    func recoverInPlaceCutsAgain() throws {
        let (directory, fileSystem, log) = try openFaultyLog()
        var random = LogTestRandom(seed: 43)
        let good = try acknowledged(log, count: 2, random: &random)
        let lastGood = log.lastSequence
        try LogTestHelpers.appendFrames(log, count: 1, random: &random)
        fileSystem.failSync(1, errno: EIO)
        fileSystem.inject(.fail(errno: EIO), on: .truncate, number: 1)
        #expect(LogTestHelpers.ledgerError { try log.sync() }?.code == .io)
        #expect(fileSystem.statistics.faultsInjected == 2, "the cut after the failure failed")
        // Asked to keep more than the log holds: acknowledged frames are missing.
        let missing = LogTestHelpers.ledgerError { try log.recoverAfterFailure(keeping: lastGood + 5) }
        #expect(missing?.code == .corruptLog, "\(String(describing: missing))")
        #expect(missing?.message.contains("lost acknowledged frames") == true, "\(String(describing: missing))")
        #expect(log.hasFailed)
        #expect(LogTestHelpers.ledgerError { try log.sync() }?.code == .writerFailed)
        // That attempt already cut the unacknowledged frame again; this one finds the log as
        // the callers were told it is.
        try log.recoverAfterFailure(keeping: lastGood)
        #expect(log.lastSequence == lastGood)
        try log.append(firstSequence: lastGood + 1, eventCount: 1, payload: [9])
        try log.sync()
        log.close()
        let frames = try LogTestHelpers.readAll(directory.path)
        #expect(Array(LogTestHelpers.appended(frames).prefix(2)) == good)
        #expect(frames.count == 3)
        #expect(frames.last?.payload == [9])
        #expect(LogReader.verify(directory: directory.path).isIntact)
    }

    @Test("recovery in place refuses, and cuts nothing, when an acknowledged frame reads back damaged at the tail")
    func recoverInPlaceKeepsADamagedAcknowledgedFrame() throws {
        let (directory, fileSystem, log) = try openFaultyLog()
        var random = LogTestRandom(seed: 45)
        _ = try acknowledged(log, count: 2, random: &random)
        let lastGood = log.lastSequence
        try LogTestHelpers.appendFrames(log, count: 1, random: &random)
        fileSystem.failSync(1, errno: EIO)
        #expect(LogTestHelpers.ledgerError { try log.sync() }?.code == .io)
        // The failure cut the unacknowledged frame; now the last acknowledged one reads back damaged.
        var frames = try LogReader.open(directory: directory.path).frames(from: 1)
        var lastStart: Int64 = 0
        while let frame = try frames.next() {
            lastStart = frame.location.offset
        }
        let segment = directory.path + "/log/" + SegmentFileName.name(forBase: 1)
        try LogFileBytes.flipBit(segment, at: Int(lastStart) + 70, bit: 1)
        let before = try LogFileBytes.read(segment)
        let error = LogTestHelpers.ledgerError { try log.recoverAfterFailure(keeping: lastGood) }
        #expect(error?.code == .corruptLog, "\(String(describing: error))")
        #expect(error?.message.contains("this writer acknowledged events through \(lastGood)") == true)
        #expect(try LogFileBytes.read(segment) == before, "the recovery cut an acknowledged frame")
        #expect(log.hasFailed)
        log.close()
    }

    @Test(
        "frames acknowledged before an fsync (interval, none) that a failed fsync left unsynced are written again and synced by the recovery in place, and kept; the unacknowledged one is cut"
    )
    func recoverInPlaceRewritesAcknowledgedFrames() throws {
        let (directory, fileSystem, log) = try openFaultyLog()
        var random = LogTestRandom(seed: 44)
        let good = try acknowledged(log, count: 2, random: &random)
        let early = try LogTestHelpers.appendFrames(log, count: 2, random: &random)
        log.acknowledgeWrites()
        let lastAcknowledged = log.lastSequence
        try LogTestHelpers.appendFrames(log, count: 1, random: &random)
        fileSystem.failSync(1, errno: EIO)
        #expect(LogTestHelpers.ledgerError { try log.sync() }?.code == .io)
        let writtenBefore = fileSystem.statistics.bytesWritten
        let syncsBefore = fileSystem.statistics.syncs
        try log.recoverAfterFailure(keeping: lastAcknowledged)
        #expect(log.lastSequence == lastAcknowledged)
        #expect(fileSystem.statistics.bytesWritten > writtenBefore, "the acknowledged frames were written again")
        #expect(fileSystem.statistics.syncs == syncsBefore + 1)
        log.close()
        let frames = try LogTestHelpers.readAll(directory.path)
        #expect(LogTestHelpers.appended(frames) == good + early)
        #expect(LogReader.verify(directory: directory.path).isIntact)
    }

    @Test(
        "cutting the last frame (its group commit failed) leaves the log usable at the end before it, also when that frame began a segment",
        arguments: [false, true]
    )
    func revertLastAppend(afterRollOver: Bool) throws {
        let directory = try TemporaryDirectory()
        let log = try EventLog.openForWriting(directory: directory.path, options: LogTestHelpers.smallSegments)
        var random = LogTestRandom(seed: 45)
        var good = try acknowledged(log, count: 2, random: &random)
        if afterRollOver {
            // Fill the segment so that the next frame starts the next one.
            while log.segments.count == 1 {
                good += try acknowledged(log, count: 1, random: &random)
            }
            log.revertLastAppend()
            good.removeLast()
            #expect(log.segments.count == 2 && log.segments[1].frameCount == 0)
        }
        let lastGood = log.lastSequence
        let headGood = log.headHash
        let segmentsGood = log.segments
        try LogTestHelpers.appendFrames(log, count: 1, random: &random)
        try log.sync()
        log.revertLastAppend()
        #expect(!log.hasFailed)
        #expect(log.lastSequence == lastGood)
        #expect(log.headHash == headGood)
        #expect(log.segments == segmentsGood)
        try log.append(firstSequence: lastGood + 1, eventCount: 2, payload: [5, 6])
        try log.sync()
        log.close()
        let frames = try LogTestHelpers.readAll(directory.path)
        #expect(Array(LogTestHelpers.appended(frames).dropLast()) == good)
        #expect(frames.last?.payload == [5, 6])
        #expect(frames.last?.firstSequence == lastGood + 1)
        #expect(LogReader.verify(directory: directory.path).isIntact)
    }

    @Test(
        "a failed cut of the last frame, or a failed sync of the cut, stops the log, and the recovery in place cuts it again and syncs",
        arguments: [FaultyFileSystem.Operation.truncate, .sync]
    )
    func revertLastAppendWhoseCutFails(failing operation: FaultyFileSystem.Operation) throws {
        let (directory, fileSystem, log) = try openFaultyLog()
        var random = LogTestRandom(seed: 46)
        let good = try acknowledged(log, count: 2, random: &random)
        let lastGood = log.lastSequence
        _ = try acknowledged(log, count: 1, random: &random)
        fileSystem.inject(.fail(errno: EIO), on: operation, number: 1)
        log.revertLastAppend()
        #expect(fileSystem.statistics.faultsInjected == 1)
        #expect(log.hasFailed)
        let syncs = fileSystem.statistics.syncs
        try log.recoverAfterFailure(keeping: lastGood)
        #expect(fileSystem.statistics.syncs > syncs, "the cut is synced")
        #expect(log.lastSequence == lastGood)
        log.close()
        #expect(LogTestHelpers.appended(try LogTestHelpers.readAll(directory.path)) == good)
        #expect(LogReader.verify(directory: directory.path).isIntact)
    }

    @Test(
        "a roll-over whose fsync of log/ failed: the recovery in place syncs log/ before frames go into the new segment"
    )
    func recoverInPlaceSyncsTheDirectory() throws {
        let directory = try TemporaryDirectory()
        let fileSystem = FaultyFileSystem()
        let log = try EventLog.openForWriting(
            directory: directory.path,
            options: LogTestHelpers.smallSegments,
            fileSystem: fileSystem
        )
        var random = LogTestRandom(seed: 47)
        fileSystem.inject(.fail(errno: EIO), on: .syncDirectory, number: 1)
        var failure: LedgerError?
        while failure == nil {
            failure = LogTestHelpers.ledgerError { _ = try acknowledged(log, count: 1, random: &random) }
        }
        #expect(fileSystem.statistics.faultsInjected == 1, "\(String(describing: failure))")
        #expect(log.hasFailed)
        let lastGood = log.lastSequence
        let directorySyncs = fileSystem.statistics.directorySyncs
        try log.recoverAfterFailure(keeping: lastGood)
        #expect(fileSystem.statistics.directorySyncs > directorySyncs)
        _ = try acknowledged(log, count: 1, random: &random)
        log.close()
        #expect(LogReader.verify(directory: directory.path).isIntact)
    }

    @Test("a failed fdatasync throws once, is never retried, and the log refuses writes after it")
    func failedSync() throws {
        let (directory, fileSystem, log) = try openFaultyLog()
        var random = LogTestRandom(seed: 41)
        let good = try acknowledged(log, count: 3, random: &random)
        try LogTestHelpers.appendFrames(log, count: 1, random: &random)
        fileSystem.failSync(1, errno: EIO)
        let syncsBefore = fileSystem.statistics.syncs
        let error = LogTestHelpers.ledgerError { try log.sync() }
        #expect(error?.code == .io)
        #expect(errno(of: error) == EIO)
        #expect(error?.message.contains("fdatasync") == true)
        #expect(fileSystem.statistics.syncs == syncsBefore + 1)
        #expect(LogTestHelpers.ledgerError { try log.sync() }?.code == .writerFailed)
        #expect(fileSystem.statistics.syncs == syncsBefore + 1)
        #expect(
            LogTestHelpers.ledgerError {
                try log.append(firstSequence: log.lastSequence + 1, eventCount: 1, payload: [1])
            }?.code == .writerFailed
        )
        log.close()
        let reopened = try EventLog.openForWriting(directory: directory.path)
        // The frame whose fsync failed was cut: only the synced frames remain.
        #expect(reopened.lastSequence == good.last!.firstSequence + UInt64(good.last!.eventCount) - 1)
        reopened.close()
        #expect(LogReader.verify(directory: directory.path).isIntact)
    }

    @Test(
        "a failure while rolling over (fsync of the old segment, or writing the new header) is recoverable",
        arguments: ["sync", "header", "shortHeader", "directory"]
    )
    func failedRollOver(step: String) throws {
        let directory = try TemporaryDirectory()
        var random = LogTestRandom(seed: 42)
        let fileSystem = FaultyFileSystem()
        let log = try EventLog.openForWriting(
            directory: directory.path,
            options: LogTestHelpers.smallSegments,
            fileSystem: fileSystem
        )
        // Frames of 250 random bytes are stored as is: 64 + 250 bytes each. Fill the first
        // segment until the next frame does not fit, so that the next append rolls over.
        let frameBytes: Int64 = 64 + 250
        while log.segments[0].byteCount + frameBytes <= Int64(LogOptions.minimumSegmentSizeBytes) {
            try log.append(firstSequence: log.lastSequence + 1, eventCount: 1, payload: random.bytes(count: 250))
        }
        try log.sync()
        let acknowledgedLast = log.lastSequence
        switch step {
        case "sync":
            fileSystem.failSync(1, errno: EIO)
        case "header":
            fileSystem.failWrite(1, errno: ENOSPC)
        case "shortHeader":
            fileSystem.shortWrite(1, keepingBytes: 12, errno: ENOSPC)
        default:
            fileSystem.inject(.fail(errno: EIO), on: .syncDirectory, number: 1)
        }
        let failure = LogTestHelpers.ledgerError {
            try log.append(firstSequence: log.lastSequence + 1, eventCount: 1, payload: random.bytes(count: 250))
        }
        #expect(failure?.code == .io)
        #expect(fileSystem.statistics.faultsInjected == 1)
        #expect(log.segments.count == 1)
        // A new segment whose header could not be written is removed, not left for the next open
        // (after a failed fsync of the old segment there is none; after a failed fsync of log/,
        // it is whole).
        let newSegment = LogTestHelpers.segmentPath(directory.path, base: acknowledgedLast + 1)
        #expect(FileManager.default.fileExists(atPath: newSegment) == (step == "directory"))
        #expect(log.lastSequence == acknowledgedLast)
        #expect(
            LogTestHelpers.ledgerError {
                try log.append(firstSequence: log.lastSequence + 1, eventCount: 1, payload: [1])
            }?.code == .writerFailed
        )
        log.close()
        let reopened = try EventLog.openForWriting(directory: directory.path, options: LogTestHelpers.smallSegments)
        #expect(reopened.lastSequence == acknowledgedLast)
        #expect(reopened.recovery.repairedSegmentHeader == nil)
        try LogTestHelpers.appendFrames(reopened, count: 12, random: &random)
        try reopened.sync()
        #expect(reopened.segments.count >= 2)
        reopened.close()
        #expect(LogReader.verify(directory: directory.path).isIntact)
    }

    @Test("the faulty file system counts operations and fires each fault once, on matching paths only")
    func faultBookkeeping() throws {
        let directory = try TemporaryDirectory()
        let fileSystem = FaultyFileSystem()
        fileSystem.failWrite(1, errno: EIO, pathSuffix: ".nothing")
        let log = try EventLog.openForWriting(directory: directory.path, fileSystem: fileSystem)
        try log.append(firstSequence: 1, eventCount: 1, payload: [1, 2, 3])
        try log.sync()
        log.close()
        let statistics = fileSystem.statistics
        #expect(statistics.faultsInjected == 0)
        #expect(statistics.writes == 4)  // the LOCK pid, the segment header, the frame, the space after it
        #expect(statistics.syncs == 2)  // the new segment, then the sync
        #expect(statistics.directorySyncs >= 2)
        fileSystem.removeAllFaults()
        fileSystem.failWrite(1, errno: EIO)
        let error = LogTestHelpers.ledgerError {
            _ = try EventLog.openForWriting(directory: directory.path, fileSystem: fileSystem)
        }
        #expect(error?.code == .io)  // the pid write to LOCK
        #expect(fileSystem.statistics.faultsInjected == 1)
        let again = try EventLog.openForWriting(directory: directory.path, fileSystem: fileSystem)
        #expect(again.lastSequence == 1)
        again.close()
    }
}
