import AgentLedgerTestSupport
import Testing

@testable import AgentLedger

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The golden v1 log in `Fixtures/golden-v1/`: written once from fixed batches, then read back
/// by every test run, so that the on-disk format cannot change by accident.
///
/// To write it again (only for a deliberate format change, with a new fixture directory):
/// `AGENTLEDGER_WRITE_GOLDEN=1 swift test --filter LogGoldenTests`.
@Suite("Golden v1 log")
struct LogGoldenTests {
    /// `Fixtures/golden-v1`, found from this file's path.
    static let fixture: String = {
        var path = #filePath
        for _ in 0..<3 {
            path = String(path[..<path.lastIndex(of: "/")!])
        }
        return path + "/Fixtures/golden-v1"
    }()

    /// The libzstd version the fixture was written with (1.5.4): byte-for-byte rewriting is only
    /// compared with the same version, since another zstd may compress differently (and both
    /// stay readable).
    static let zstdVersion: UInt32 = 10504

    /// The head of the golden log: last sequence and hash of its last frame.
    static let expectedLastSequence: UInt64 = 40
    static let expectedHeadHex = "6fcd369d763a85c5a572cc5617743462ec8532eafa18ff1919ccafa01a7f2f72"

    /// The fixed batches: text (compressed), random bytes (stored), an empty payload, and a
    /// batch larger than a segment.
    static func batches() -> [(eventCount: Int, payload: [UInt8])] {
        var random = LogTestRandom(seed: 20_240_601)
        var batches: [(Int, [UInt8])] = []
        for index in 0..<14 {
            let events = index % 5 + 1
            let payload: [UInt8]
            switch index {
            case 3:
                payload = []
            case 7:
                payload = random.bytes(count: 5000)
            default:
                payload = index % 2 == 0 ? random.text(count: 700) : random.bytes(count: 900)
            }
            batches.append((events, payload))
        }
        return batches
    }

    static let options = LogOptions(segmentSizeBytes: 4096, compressionLevel: 3, compressionDictionary: false)

    /// Writes the golden batches into a new store at `store`.
    static func write(to store: String) throws {
        let log = try EventLog.openForWriting(directory: store, options: options)
        for batch in batches() {
            try log.append(firstSequence: log.lastSequence + 1, eventCount: batch.eventCount, payload: batch.payload)
        }
        try log.sync()
        log.close()
    }

    @Test("regenerate the fixture", .enabled(if: getenv("AGENTLEDGER_WRITE_GOLDEN").map { String(cString: $0) } == "1"))
    func regenerate() throws {
        try? LogFileBytes.remove(Self.fixture)
        try Self.write(to: Self.fixture)
        try LogFileBytes.remove(Self.fixture + "/LOCK")
        let verification = LogReader.verify(directory: Self.fixture)
        print("golden head: \(verification.lastSequence) \(verification.headHashHex)")
    }

    @Test("the golden log verifies and its head is the recorded one")
    func verifies() throws {
        let verification = LogReader.verify(
            directory: Self.fixture,
            expectedHead: LogHead(sequence: Self.expectedLastSequence, hashHex: Self.expectedHeadHex)
        )
        #expect(verification.isIntact, "\(verification.problems)")
        #expect(verification.expectedHeadMatched == true)
        #expect(verification.lastSequence == Self.expectedLastSequence)
        #expect(verification.headHashHex == Self.expectedHeadHex)
        #expect(verification.segmentCount == 3)
        #expect(verification.frameCount == 14)
    }

    @Test("the golden log reads back frame by frame")
    func readsBack() throws {
        let frames = try LogTestHelpers.readAll(Self.fixture)
        let batches = Self.batches()
        #expect(frames.count == batches.count)
        var sequence: UInt64 = 1
        for (frame, batch) in zip(frames, batches) {
            #expect(frame.firstSequence == sequence)
            #expect(frame.eventCount == batch.eventCount)
            #expect(frame.payload == batch.payload)
            sequence += UInt64(batch.eventCount)
        }
        #expect(frames.last?.hashHex == Self.expectedHeadHex)
        // The reader never writes: no LOCK appeared in the fixture.
        #expect(try LogFileBytes.list(Self.fixture) == ["log"])
    }

    @Test("the first segment's header and first frame header are pinned byte for byte")
    func pinnedLayout() throws {
        let bytes = try LogFileBytes.read(Self.fixture + "/log/00000000000000000001.seg")
        // Segment header: "ALEDGSEG", version 1, reserved, base sequence 1, reserved, CRC.
        // Frame header: length 288, 1 event, first sequence 1, codec 1 (zstd), reserved,
        // raw length 700, payload CRC, previous hash (zeros), header CRC.
        let expected =
            "414c45444753454701000000000000000100000000000000000000006c658633"
            + "20010000010000000100000000000000010000" + "00bc020000c0b4ff76"
            + "0000000000000000000000000000000000000000000000000000000000000000" + "53cc5c35"
        #expect(FrameHash.hex(Array(bytes.prefix(96))) == expected)
    }

    @Test(
        "writing the golden batches again gives the same files",
        .enabled(if: ZstdCodec.libraryVersion == LogGoldenTests.zstdVersion)
    )
    func rewritesIdentically() throws {
        let directory = try TemporaryDirectory()
        try Self.write(to: directory.path)
        let names = try LogTestHelpers.segmentNames(directory.path)
        #expect(names == (try LogTestHelpers.segmentNames(Self.fixture)))
        for name in names {
            let written = try LogFileBytes.read(directory.path + "/log/" + name)
            let golden = try LogFileBytes.read(Self.fixture + "/log/" + name)
            #expect(written == golden, "\(name) differs from the golden file")
        }
    }

    @Test("a copy of the golden log opens for writing cleanly and continues its chain")
    func continues() throws {
        let directory = try TemporaryDirectory()
        let store = directory.path + "/store"
        try LogFileBytes.copyDirectory(Self.fixture, to: store)
        let log = try EventLog.openForWriting(directory: store, options: Self.options)
        #expect(log.recovery.isClean)
        #expect(log.lastSequence == Self.expectedLastSequence)
        #expect(log.headHashHex == Self.expectedHeadHex)
        try log.append(firstSequence: log.lastSequence + 1, eventCount: 1, payload: Array("next".utf8))
        try log.sync()
        log.close()
        let frames = try LogTestHelpers.readAll(store, from: Self.expectedLastSequence + 1)
        #expect(frames.count == 1)
        #expect(frames[0].previousHash == LogHead(sequence: 0, hashHex: Self.expectedHeadHex)?.hash)
    }
}
