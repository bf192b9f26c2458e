import AgentLedgerTestSupport
import Synchronization
import Testing

@testable import AgentLedger

/// A reader beside a writer filling reserved space can read zeros where a frame is a moment
/// later, and then a valid frame after them. The walk and verify read that frame again before
/// calling it damage. These tests replay that race deterministically with a file system that
/// shows each open of the segment an older state until the reader asks for the size again.
@Suite("Reading a frame again")
struct LogRereadTests {
    /// A store of three one-item frames in one segment, followed by `reserved` zero bytes as
    /// a writer's reservation leaves them, with the frame at `patched` changed by `patch`.
    private static func store(
        _ directory: TemporaryDirectory,
        reserved: Int,
        patch: (inout [UInt8], LogFrame) -> Void = { _, _ in }
    ) async throws -> Fixture {
        let store = directory.path + "/store"
        let ledger = try await Ledger.open(
            at: store,
            options: LedgerOptions(durability: .none, compressionDictionary: false)
        )
        for number in 1...3 {
            try await ledger.session("s").addItems([ItemFactory.user("message \(number)")])
        }
        try await ledger.close()
        let frames = try LogTestHelpers.readAll(store)
        let segment = frames[0].location.segment
        let path = store + "/log/" + segment
        var bytes = try LogFileBytes.read(path)
        let framesEnd = bytes.count
        patch(&bytes, frames[1])
        bytes += [UInt8](repeating: 0, count: reserved)
        try LogFileBytes.write(bytes, to: path)
        return Fixture(store: store, frames: frames, segment: segment, framesEnd: framesEnd)
    }

    /// A store made by ``store(_:reserved:patch:)``.
    private struct Fixture {
        let store: String
        let frames: [LogFrame]
        let segment: String
        /// Where the frames end and the reserved zeros begin.
        let framesEnd: Int

        /// A file system that first shows the middle frame as zeros and the file as ending
        /// `staleReserved` bytes after the frames.
        func staleFileSystem(staleReserved: Int) -> StaleSegmentFileSystem {
            StaleSegmentFileSystem(
                segment: segment,
                hidden: Int64(frames[1].location.offset)..<Int64(frames[2].location.offset),
                staleSize: Int64(framesEnd + staleReserved)
            )
        }
    }

    @Test("verify counts the frames' bytes and the reserved bytes as of its second look")
    func verifyCountsAfterRereading() async throws {
        let directory = try TemporaryDirectory(prefix: "log-reread")
        defer { directory.remove() }
        let fixture = try await Self.store(directory, reserved: 8_192)
        // First look: the middle frame still zeros, and the file 5,000 bytes shorter than now
        // (the writer reserved more since).
        let fileSystem = fixture.staleFileSystem(staleReserved: 3_192)

        let verification = LogReader.verify(directory: fixture.store, fileSystem: fileSystem)

        #expect(verification.problems.isEmpty, "\(verification.problems)")
        #expect(verification.frameCount == 3)
        #expect(verification.lastSequence == fixture.frames[2].lastSequence)
        #expect(verification.byteCount == Int64(fixture.framesEnd))
        #expect(verification.unusedByteCount == 8_192)
        #expect(fileSystem.rereads == 1, "the race was replayed")
    }

    @Test("a reader's walk reads the frame again and goes on")
    func walkRereads() async throws {
        let directory = try TemporaryDirectory(prefix: "log-reread")
        defer { directory.remove() }
        let fixture = try await Self.store(directory, reserved: 8_192)
        let fileSystem = fixture.staleFileSystem(staleReserved: 3_192)

        let reader = try LogReader.open(directory: fixture.store, fileSystem: fileSystem)

        #expect(reader.lastSequence == fixture.frames[2].lastSequence)
        #expect(fileSystem.rereads >= 1, "the race was replayed")
    }

    @Test("a frame of an unknown codec found on reading again is reported as such, not as damage")
    func unknownCodecOnRereading() async throws {
        let directory = try TemporaryDirectory(prefix: "log-reread")
        defer { directory.remove() }
        let fixture = try await Self.store(directory, reserved: 4_096) { bytes, frame in
            bytes[Int(frame.location.offset) + 16] = 3  // codec 3, with valid checksums
            LogTestHelpers.resealFrame(&bytes, at: Int(frame.location.offset))
        }

        let walk = fixture.staleFileSystem(staleReserved: 4_096)
        let opening = LogTestHelpers.ledgerError { _ = try LogReader.open(directory: fixture.store, fileSystem: walk) }
        #expect(opening?.code == .unsupportedVersion, "\(String(describing: opening))")
        #expect(walk.rereads >= 1, "the race was replayed")

        let verify = fixture.staleFileSystem(staleReserved: 4_096)
        let problems = LogReader.verify(directory: fixture.store, fileSystem: verify).problems
        #expect(problems.map(\.code) == [.unsupportedVersion], "\(problems)")
        #expect(verify.rereads == 1, "the race was replayed")
    }
}

/// Shows every open of one segment file as it was a moment earlier, until that open asks for
/// the file's size a second time (as a re-read does): the bytes in `hidden` read as zeros and
/// the file is `staleSize` bytes long. Other files, and later reads, see the file as it is.
private final class StaleSegmentFileSystem: ForwardingFileSystem, @unchecked Sendable {  // state in a Mutex
    private let segment: String
    private let hidden: Range<Int64>
    private let staleSize: Int64
    private struct State {
        /// Size requests per open handle of the segment.
        var sizeRequests: [LogFileHandle: Int] = [:]
        var rereads = 0
    }
    private let state = Mutex(State())

    init(segment: String, hidden: Range<Int64>, staleSize: Int64) {
        self.segment = segment
        self.hidden = hidden
        self.staleSize = staleSize
    }

    /// Opens of the segment that asked for its size again, and so now see it as it is.
    var rereads: Int { state.withLock { $0.rereads } }

    private func isStale(_ file: LogFileHandle) -> Bool {
        state.withLock { ($0.sizeRequests[file] ?? 2) < 2 }
    }

    override func openFile(atPath path: String, mode: LogFileOpenMode) throws -> LogFileHandle {
        let handle = try super.openFile(atPath: path, mode: mode)
        if path.hasSuffix("/" + segment) {
            state.withLock { $0.sizeRequests[handle] = 0 }
        }
        return handle
    }

    override func closeFile(_ file: LogFileHandle) {
        state.withLock { _ = $0.sizeRequests.removeValue(forKey: file) }
        super.closeFile(file)
    }

    override func read(
        _ file: LogFileHandle,
        into buffer: UnsafeMutableRawBufferPointer,
        at offset: Int64
    ) throws -> Int {
        let count = try super.read(file, into: buffer, at: offset)
        guard isStale(file) else {
            return count
        }
        let visible = Int(max(0, min(Int64(count), staleSize - offset)))
        let start = max(hidden.lowerBound, offset)
        let end = min(hidden.upperBound, offset + Int64(visible))
        if start < end {
            for index in Int(start - offset)..<Int(end - offset) {
                buffer[index] = 0
            }
        }
        return visible
    }

    override func size(of file: LogFileHandle) throws -> Int64 {
        let size = try super.size(of: file)
        let stale = state.withLock { state -> Bool in
            guard let requests = state.sizeRequests[file] else {
                return false
            }
            state.sizeRequests[file] = requests + 1
            if requests == 1 {
                state.rereads += 1
            }
            return requests == 0
        }
        return stale ? staleSize : size
    }
}
