import AgentLedgerTestSupport
import Testing

@testable import AgentLedger

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Shared helpers of the log tests: open a log in a temporary store, append seeded frames,
/// find segment files and frame offsets.
enum LogTestHelpers {
    /// What a test appended: one entry per frame.
    struct Appended: Equatable {
        var firstSequence: UInt64
        var eventCount: Int
        var payload: [UInt8]
    }

    /// Small segments so that a few frames roll over (the minimum segment size).
    static let smallSegments = LogOptions(segmentSizeBytes: LogOptions.minimumSegmentSizeBytes)

    /// The store's `log/` directory.
    static func logDirectory(_ store: String) -> String {
        store + "/log"
    }

    /// The path of the segment whose base sequence is `base`.
    static func segmentPath(_ store: String, base: UInt64) -> String {
        logDirectory(store) + "/" + SegmentFileName.name(forBase: base)
    }

    /// The segment files of the store, sorted.
    static func segmentNames(_ store: String) throws -> [String] {
        try LogFileBytes.list(logDirectory(store)).filter { $0.hasSuffix(".seg") }
    }

    /// A payload for frame `index`: compressible text for even frames, random bytes for odd ones.
    static func payload(_ random: inout LogTestRandom, index: Int, size: Int) -> [UInt8] {
        index % 2 == 0 ? random.text(count: size) : random.bytes(count: size)
    }

    /// Appends `count` frames of about `size` bytes with 1 to 4 events each.
    @discardableResult
    static func appendFrames(
        _ log: EventLog,
        count: Int,
        size: Int = 300,
        random: inout LogTestRandom
    ) throws -> [Appended] {
        var appended: [Appended] = []
        for index in 0..<count {
            let events = Int(random.next() % 4) + 1
            let bytes = payload(&random, index: index, size: size)
            let first = log.lastSequence + 1
            try log.append(firstSequence: first, eventCount: events, payload: bytes)
            appended.append(Appended(firstSequence: first, eventCount: events, payload: bytes))
        }
        return appended
    }

    /// Every frame of the store, read with a fresh reader.
    static func readAll(_ store: String, from sequence: UInt64 = 1) throws -> [LogFrame] {
        let reader = try LogReader.open(directory: store)
        var frames: [LogFrame] = []
        var iterator = reader.frames(from: sequence)
        while let frame = try iterator.next() {
            frames.append(frame)
        }
        return frames
    }

    /// The frames as appended values, to compare with what a test appended.
    static func appended(_ frames: [LogFrame]) -> [Appended] {
        frames.map { Appended(firstSequence: $0.firstSequence, eventCount: $0.eventCount, payload: $0.payload) }
    }

    /// The little-endian 32-bit number at `offset` of `bytes`.
    static func uint32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        bytes[offset..<offset + 4].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }

    /// Rewrites both checksums of the frame at `start` of `bytes` (a segment file's bytes) after
    /// a test changed it, so that readers take the change for a writer's.
    static func resealFrame(_ bytes: inout [UInt8], at start: Int) {
        let end = start + Int(uint32(bytes, at: start))
        let payloadCRC = CRC32C.checksum(Array(bytes[start + 64..<end]))
        bytes.replaceSubrange(start + 24..<start + 28, with: withUnsafeBytes(of: payloadCRC.littleEndian) { Array($0) })
        let headerCRC = CRC32C.checksum(Array(bytes[start..<start + 60]))
        bytes.replaceSubrange(start + 60..<start + 64, with: withUnsafeBytes(of: headerCRC.littleEndian) { Array($0) })
    }

    /// The error thrown by `body`, as a ``LedgerError``.
    static func ledgerError(_ body: () throws -> Void) -> LedgerError? {
        do {
            try body()
            return nil
        } catch let error as LedgerError {
            return error
        } catch {
            Issue.record("expected a LedgerError, got \(error)")
            return nil
        }
    }
}

@Suite("Log test helpers and segment names")
struct LogHelpersTests {
    @Test("segment file names are the base sequence padded to 20 digits")
    func segmentNames() {
        #expect(SegmentFileName.name(forBase: 1) == "00000000000000000001.seg")
        #expect(SegmentFileName.name(forBase: UInt64.max) == "18446744073709551615.seg")
        #expect(SegmentFileName.baseSequence(of: "00000000000000008193.seg") == 8193)
        #expect(SegmentFileName.baseSequence(of: "8193.seg") == nil)
        #expect(SegmentFileName.baseSequence(of: "0000000000000000819a.seg") == nil)
        #expect(SegmentFileName.baseSequence(of: "00000000000000008193.log") == nil)
        #expect(SegmentFileName.baseSequence(of: "99999999999999999999.seg") == nil)
    }

    @Test("the seeded generator repeats")
    func seededRandom() {
        var first = LogTestRandom(seed: 7)
        var second = LogTestRandom(seed: 7)
        #expect(first.bytes(count: 33) == second.bytes(count: 33))
        #expect(first.text(count: 50).count == 50)
    }
}
