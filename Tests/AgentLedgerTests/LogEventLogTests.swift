import AgentLedgerTestSupport
import Foundation
import Synchronization
import Testing

@testable import AgentLedger

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Records the directories the log syncs.
private final class DirectorySyncRecorder: ForwardingFileSystem, @unchecked Sendable {  // state in a Mutex
    let synced = Mutex<[String]>([])

    override func syncDirectory(atPath path: String) throws {
        synced.withLock { $0.append(path) }
        try super.syncDirectory(atPath: path)
    }
}

@Suite("EventLog: appending, chaining, roll-over, locking")
struct LogEventLogTests {
    @Test("a new store gets its layout and an empty first segment")
    func createsLayout() throws {
        let directory = try TemporaryDirectory()
        let store = directory.path + "/store"
        let log = try EventLog.openForWriting(directory: store)
        defer { log.close() }
        #expect(log.lastSequence == 0)
        #expect(log.headHash == [UInt8](repeating: 0, count: 32))
        #expect(log.recovery.createdStore)
        #expect(log.recovery.isClean)
        #expect(try LogFileBytes.list(store) == ["LOCK", "log"])
        #expect(try LogTestHelpers.segmentNames(store) == ["00000000000000000001.seg"])
        let segment = try LogFileBytes.read(LogTestHelpers.segmentPath(store, base: 1))
        #expect(segment == SegmentHeader(baseSequence: 1).encoded())
        let pid = String(decoding: try LogFileBytes.read(store + "/LOCK"), as: UTF8.self)
        // A fixed-width record (pid, spaces, newline), written in one go.
        #expect(pid.count == 21 && pid.hasSuffix("\n"))
        #expect(pid.trimmingCharacters(in: .whitespacesAndNewlines) == "\(getpid())")
    }

    @Test("a store whose parent directories are missing creates them, as mkdir -p, each synced into its parent")
    func createsMissingAncestors() throws {
        let directory = try TemporaryDirectory()
        let store = directory.path + "/var/lib/agent/store"
        let fileSystem = DirectorySyncRecorder()
        let log = try EventLog.openForWriting(directory: store, fileSystem: fileSystem)
        defer { log.close() }
        #expect(log.recovery.createdStore)
        #expect(try LogFileBytes.list(store) == ["LOCK", "log"])
        let synced = fileSystem.synced.withLock { $0 }
        for path in [
            directory.path, directory.path + "/var", directory.path + "/var/lib", directory.path + "/var/lib/agent",
        ] {
            #expect(synced.contains(path), "\(path) not synced: \(synced)")
        }
        // A file where a directory should be is still refused, with the path.
        let blocked = directory.path + "/file"
        #expect(FileManager.default.createFile(atPath: blocked, contents: Data()))
        let error = try #require(throws: LedgerError.self) {
            try EventLog.openForWriting(directory: blocked + "/store")
        }
        #expect(error.message.contains(blocked), "\(error)")
    }

    @Test("appended frames read back in order, each chained to the one before")
    func appendAndChain() throws {
        let directory = try TemporaryDirectory()
        var random = LogTestRandom(seed: 1)
        let log = try EventLog.openForWriting(directory: directory.path)
        let appended = try LogTestHelpers.appendFrames(log, count: 20, random: &random)
        try log.sync()
        let head = log.headHash
        let last = log.lastSequence
        log.close()
        let frames = try LogTestHelpers.readAll(directory.path)
        #expect(LogTestHelpers.appended(frames) == appended)
        #expect(frames.first?.previousHash == [UInt8](repeating: 0, count: 32))
        for (before, after) in zip(frames, frames.dropFirst()) {
            #expect(after.previousHash == before.hash)
            #expect(after.firstSequence == before.lastSequence + 1)
        }
        #expect(frames.last?.hash == head)
        #expect(frames.last?.lastSequence == last)
        // The hash is SHA-256 over the frame's bytes exactly as stored in the file.
        let file = try LogFileBytes.read(LogTestHelpers.segmentPath(directory.path, base: 1))
        for (index, frame) in frames.enumerated() {
            let start = Int(frame.location.offset)
            let end = index + 1 < frames.count ? Int(frames[index + 1].location.offset) : file.count
            let bytes = Array(file[start..<end])
            #expect(bytes.withUnsafeBytes { FrameHash(hashing: $0) }.bytes == frame.hash)
        }
    }

    @Test("segments roll over at segmentSizeBytes, are named by base sequence, and read back across")
    func rollOver() throws {
        let directory = try TemporaryDirectory()
        var random = LogTestRandom(seed: 2)
        let log = try EventLog.openForWriting(directory: directory.path, options: LogTestHelpers.smallSegments)
        let appended = try LogTestHelpers.appendFrames(log, count: 60, size: 400, random: &random)
        // One frame larger than a whole segment still gets written (alone in its segment).
        let big = random.bytes(count: 6000)
        try log.append(firstSequence: log.lastSequence + 1, eventCount: 1, payload: big)
        try LogTestHelpers.appendFrames(log, count: 3, random: &random)
        try log.sync()
        let segments = log.segments
        log.close()
        let names = try LogTestHelpers.segmentNames(directory.path)
        #expect(names.count > 5)
        #expect(names == segments.map(\.name))
        for (index, segment) in segments.enumerated() {
            #expect(segment.name == SegmentFileName.name(forBase: segment.baseSequence))
            let size = try LogFileBytes.size(LogTestHelpers.segmentPath(directory.path, base: segment.baseSequence))
            #expect(Int64(size) == segment.byteCount)
            #expect(segment.frameCount >= 1)
            if segment.frameCount > 1 {
                #expect(size <= LogOptions.minimumSegmentSizeBytes)
            }
            if index > 0 {
                #expect(segment.baseSequence == segments[index - 1].lastSequence + 1)
            }
        }
        #expect(segments.contains { $0.frameCount == 1 && $0.byteCount > Int64(LogOptions.minimumSegmentSizeBytes) })
        let frames = try LogTestHelpers.readAll(directory.path)
        #expect(Array(LogTestHelpers.appended(frames).prefix(60)) == appended)
        #expect(frames[60].payload == big)
        #expect(frames.count == 64)
        #expect(LogReader.verify(directory: directory.path).isIntact)
    }

    @Test("reopening continues the sequence and the hash chain")
    func reopenContinues() throws {
        let directory = try TemporaryDirectory()
        var random = LogTestRandom(seed: 3)
        var all: [LogTestHelpers.Appended] = []
        var heads: [[UInt8]] = []
        for round in 0..<4 {
            let log = try EventLog.openForWriting(directory: directory.path, options: LogTestHelpers.smallSegments)
            #expect(log.recovery.isClean)
            #expect(log.lastSequence == all.last.map { $0.firstSequence + UInt64($0.eventCount) - 1 } ?? 0)
            if let head = heads.last {
                #expect(log.headHash == head)
            }
            all += try LogTestHelpers.appendFrames(log, count: 5 + round * 7, size: 350, random: &random)
            try log.sync()
            heads.append(log.headHash)
            log.close()
        }
        let frames = try LogTestHelpers.readAll(directory.path)
        #expect(LogTestHelpers.appended(frames) == all)
        let verification = LogReader.verify(directory: directory.path)
        #expect(verification.isIntact)
        #expect(verification.head.hash == heads.last)
        #expect(verification.frameCount == all.count)
    }

    @Test("a second writer is refused at once, naming the holder's pid; the lock is released on close")
    func secondWriterRefused() throws {
        let directory = try TemporaryDirectory()
        let first = try EventLog.openForWriting(directory: directory.path)
        let error = LogTestHelpers.ledgerError { _ = try EventLog.openForWriting(directory: directory.path) }
        #expect(error?.code == .storeLocked)
        #expect(
            error?.message.contains(
                "locked by another Ledger of this process (pid \(getpid())) that writes to it or rebuilds its read model"
            ) == true
        )
        first.close()
        first.close()  // idempotent
        let second = try EventLog.openForWriting(directory: directory.path)
        #expect(second.lastSequence == 0)
        second.close()
    }

    @Test("a closed log refuses appends; bad options are refused at open")
    func closedAndOptions() throws {
        let directory = try TemporaryDirectory()
        let log = try EventLog.openForWriting(directory: directory.path)
        log.close()
        #expect(
            LogTestHelpers.ledgerError { try log.append(firstSequence: 1, eventCount: 1, payload: [1]) }?.code
                == .closed
        )
        #expect(LogTestHelpers.ledgerError { try log.sync() }?.code == .closed)
        let small = LogOptions(segmentSizeBytes: 100)
        #expect(
            LogTestHelpers.ledgerError { _ = try EventLog.openForWriting(directory: directory.path, options: small) }?
                .code == .invalidArgument
        )
        let level = LogOptions(compressionLevel: 1000)
        #expect(
            LogTestHelpers.ledgerError { _ = try EventLog.openForWriting(directory: directory.path, options: level) }?
                .code == .invalidArgument
        )
    }

    @Test("files in log/ that are not segments are left alone and reported")
    func ignoredFiles() throws {
        let directory = try TemporaryDirectory()
        try EventLog.openForWriting(directory: directory.path).close()
        try LogFileBytes.write([1, 2, 3], to: LogTestHelpers.logDirectory(directory.path) + "/notes.txt")
        let log = try EventLog.openForWriting(directory: directory.path)
        #expect(log.recovery.ignoredFiles == ["notes.txt"])
        log.close()
    }
}
