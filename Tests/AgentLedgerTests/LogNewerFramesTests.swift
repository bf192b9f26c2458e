import AgentLedgerTestSupport
import Testing

@testable import AgentLedger

/// Frames of a codec this version does not know: what a version before codec 2 meets in a log
/// written now, and what this version will meet in the next codec's logs. No version may cut
/// them off, as a torn tail or as damage.
@Suite("Frames of a newer version")
struct LogNewerFramesTests {
    /// A store of `count` one-item frames (stored as is: too small for zstd without dictionary),
    /// all in one segment, whose bytes `patch` then changes.
    private static func patchedStore(
        _ directory: TemporaryDirectory,
        frames count: Int,
        patch: (inout [UInt8], [LogFrame]) -> Void
    ) async throws -> (store: String, frames: [LogFrame], path: String, bytes: [UInt8]) {
        let store = directory.path + "/store"
        let ledger = try await Ledger.open(
            at: store,
            options: LedgerOptions(durability: .none, compressionDictionary: false)
        )
        for number in 1...count {
            try await ledger.session("s").addItems([ItemFactory.user("message \(number)")])
        }
        try await ledger.close()
        let frames = try LogTestHelpers.readAll(store)
        let path = store + "/log/" + frames[0].location.segment
        var bytes = try LogFileBytes.read(path)
        patch(&bytes, frames)
        try LogFileBytes.write(bytes, to: path)
        return (store, frames, path, bytes)
    }

    /// Gives the frame at `frame` codec 3, with valid checksums.
    private static func makeNewer(_ bytes: inout [UInt8], _ frame: LogFrame) {
        bytes[Int(frame.location.offset) + 16] = 3
        LogTestHelpers.resealFrame(&bytes, at: Int(frame.location.offset))
    }

    @Test("a writer meeting a codec it does not know at the tail refuses to open and changes nothing")
    func unknownCodecAtTail() async throws {
        let directory = try TemporaryDirectory(prefix: "log-newer")
        defer { directory.remove() }
        let (store, _, path, bytes) = try await Self.patchedStore(directory, frames: 1) { bytes, frames in
            Self.makeNewer(&bytes, frames[0])
        }
        let opening = LogTestHelpers.ledgerError { _ = try EventLog.openForWriting(directory: store) }
        #expect(opening?.code == .unsupportedVersion)
        #expect(try LogFileBytes.read(path) == bytes)
    }

    @Test("damage followed by a frame of an unknown codec is refused as damage, not cut off as a torn tail")
    func damageBeforeUnknownCodec() async throws {
        let directory = try TemporaryDirectory(prefix: "log-newer")
        defer { directory.remove() }
        let (store, frames, path, bytes) = try await Self.patchedStore(directory, frames: 3) { bytes, frames in
            Self.makeNewer(&bytes, frames[2])
            bytes[Int(frames[1].location.offset) + 70] ^= 0x01  // the middle frame's payload
        }

        let opening = LogTestHelpers.ledgerError { _ = try EventLog.openForWriting(directory: store) }
        #expect(opening?.code == .corruptLog)
        #expect(opening?.location?.sequence == frames[1].firstSequence)
        #expect(try LogFileBytes.read(path) == bytes)
        let verification = LogReader.verify(directory: store)
        #expect(
            verification.problems.contains {
                $0.code == .corruptLog && $0.location?.sequence == frames[1].firstSequence
            }
        )
        #expect(verification.problems.contains { $0.code == .unsupportedVersion })
        #expect(!verification.problems.contains { $0.message.contains("torn") })
    }

    @Test("the verifier checks a compressed frame's recorded size before allocating for its claim")
    func hugeRawLength() async throws {
        let directory = try TemporaryDirectory(prefix: "log-newer")
        defer { directory.remove() }
        let store = directory.path + "/store"
        let ledger = try await Ledger.open(at: store, options: LedgerOptions(durability: .none))
        try await ledger.session("s").addItems(Array(repeating: ItemFactory.user("compressible"), count: 20))
        try await ledger.close()
        let frame = try #require(try LogTestHelpers.readAll(store).first)
        let path = store + "/log/" + frame.location.segment
        var bytes = try LogFileBytes.read(path)
        let start = Int(frame.location.offset)
        #expect(bytes[start + 16] == LogCodec.zstdDictionary.rawValue)
        bytes.replaceSubrange(start + 20..<start + 24, with: [0, 0, 0, 0x40])  // rawLength 1 GiB
        LogTestHelpers.resealFrame(&bytes, at: start)
        try LogFileBytes.write(bytes, to: path)
        let problems = LogReader.verify(directory: store).problems
        // Refused on the size the zstd frame records, before any buffer of the claimed size.
        #expect(
            problems.contains { $0.code == .corruptLog && $0.message.contains("but the frame header says 1073741824") }
        )
        #expect(problems.contains { $0.message.contains("holds \(frame.payload.count) bytes") })
    }
}
