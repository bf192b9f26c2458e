import AgentLedgerTestSupport
import Testing

@testable import AgentLedger

/// `Ledger.verifyLog` (`agentledger verify`) decodes the events of every frame, not only its
/// checksums and chain: a frame whose checksums and hash link are valid but whose events do not
/// decode is one that every reader refuses, so verification must not call the log intact.
@Suite("Verification decodes the events")
struct LogVerifyEventsTests {
    /// A store of three one-item frames stored as is (too small for zstd without dictionary),
    /// whose last frame's payload byte at `payloadOffset` becomes `value`, with both checksums
    /// recomputed: its hash changes, but no frame after it links to it.
    private static func storeWithResealedLastFrame(
        _ directory: TemporaryDirectory,
        payloadOffset: Int,
        value: UInt8
    ) async throws -> (store: String, last: LogFrame) {
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
        let last = try #require(frames.last)
        try #require(payloadOffset < last.payload.count)
        let path = store + "/log/" + last.location.segment
        var bytes = try LogFileBytes.read(path)
        let start = Int(last.location.offset)
        bytes[start + FrameHeader.byteCount + payloadOffset] = value
        LogTestHelpers.resealFrame(&bytes, at: start)
        try LogFileBytes.write(bytes, to: path)
        return (store, last)
    }

    @Test("an event of version 0 with valid checksums is reported as damage, at its frame")
    func versionZero() async throws {
        let directory = try TemporaryDirectory(prefix: "log-verify-events")
        defer { directory.remove() }
        let (store, last) = try await Self.storeWithResealedLastFrame(directory, payloadOffset: 0, value: 0)

        // What every reader of the events meets there.
        let tampered = try #require(try LogTestHelpers.readAll(store).last)
        let decoding = LogTestHelpers.ledgerError { _ = try EventCodec.decode(tampered) }
        #expect(decoding?.code == .corruptLog)
        let verification = try await Ledger.verifyLog(at: store)
        let problem = try #require(verification.problems.first, "verify called the log intact")
        #expect(problem.code == .corruptLog)
        #expect(problem.location?.segment == last.location.segment)
        #expect(problem.location?.offset == last.location.offset)
        #expect(problem.location?.sequence == last.firstSequence)
        #expect(problem.message.contains("version 0"))
    }

    @Test("an event of an unknown kind with valid checksums is reported as damage")
    func unknownKind() async throws {
        let directory = try TemporaryDirectory(prefix: "log-verify-events")
        defer { directory.remove() }
        let (store, last) = try await Self.storeWithResealedLastFrame(directory, payloadOffset: 1, value: 99)

        let verification = try await Ledger.verifyLog(at: store)
        #expect(!verification.isIntact)
        #expect(
            verification.problems.contains {
                $0.code == .corruptLog && $0.location?.sequence == last.firstSequence
            },
            "problems: \(verification.problems)"
        )
    }

    @Test("an event of a newer encoding version is not damage: the frame is valid, for a newer reader")
    func newerVersion() async throws {
        let directory = try TemporaryDirectory(prefix: "log-verify-events")
        defer { directory.remove() }
        let (store, _) = try await Self.storeWithResealedLastFrame(directory, payloadOffset: 0, value: 2)
        // The head this build's close recorded is not the rewritten frame's (ClosedHeadCheck);
        // the newer writer that wrote such a frame would have recorded its own.
        try LogFileBytes.remove(store + "/views.sqlite")

        let verification = try await Ledger.verifyLog(at: store)
        #expect(verification.isIntact, "problems: \(verification.problems)")
    }
}
