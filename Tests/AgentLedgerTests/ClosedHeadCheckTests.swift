import AgentLedgerTestSupport
import Foundation
import Testing

@testable import AgentLedger

/// `verifyLog` against the head the read model recorded at the last clean close.
@Suite("Verify: the head recorded at the last clean close")
struct ClosedHeadCheckTests {
    /// Replaces the last frame of the log of `store` with a frame of the same sequence number
    /// and a valid link to the frame before it, holding an add of `text`: checksums and the
    /// hash chain all check out.
    static func rewriteLastFrame(of store: TemporaryStore, text: String) throws {
        let reader = try LogReader.open(directory: store.path)
        var frames = reader.frames(from: reader.lastSequence, through: reader.lastSequence)
        let last = try #require(try frames.next())
        let event = LedgerEvent(
            sequence: last.firstSequence,
            timestampMicros: Int64(Date().timeIntervalSince1970 * 1e6),
            sessionID: "s",
            branch: "main",
            payload: .itemsAdded([ItemFactory.user(text)])
        )
        let encoder = try FrameEncoder(compressionLevel: 3, dictionary: true)
        _ = try EventCodec.encode([event]).withUnsafeBytes {
            try encoder.encode(
                firstSequence: event.sequence,
                eventCount: 1,
                payload: $0,
                previousHash: try #require(FrameHash(bytes: last.previousHash))
            )
        }
        let segment = store.path + "/log/" + last.location.segment
        try LogFileBytes.truncate(segment, to: Int(last.location.offset))
        try LogFileBytes.append(encoder.encodedFrame, to: segment)
    }

    /// Replaces the frames of the log of `store` from the one starting at `sequence` to the
    /// last with frames of the same events, the first of them holding an add of `text`
    /// instead, each linked to the one before: the chain from there on is recomputed. The log
    /// must be a single segment.
    static func recomputeChain(of store: TemporaryStore, from sequence: UInt64, text: String) throws {
        let reader = try LogReader.open(directory: store.path)
        var frames = reader.frames(from: sequence, through: reader.lastSequence)
        var originals: [LogFrame] = []
        while let frame = try frames.next() {
            originals.append(frame)
        }
        let first = try #require(originals.first)
        #expect(first.firstSequence == sequence)
        var previous = try #require(FrameHash(bytes: first.previousHash))
        var bytes: [UInt8] = []
        let encoder = try FrameEncoder(compressionLevel: 3, dictionary: true)
        for frame in originals {
            var events = try EventCodec.decode(frame)
            if frame.firstSequence == sequence {
                let event = events[0]
                events[0] = LedgerEvent(
                    sequence: event.sequence,
                    timestampMicros: event.timestampMicros,
                    sessionID: event.sessionID,
                    branch: event.branch,
                    payload: .itemsAdded([ItemFactory.user(text)])
                )
            }
            previous = try EventCodec.encode(events).withUnsafeBytes {
                try encoder.encode(
                    firstSequence: frame.firstSequence,
                    eventCount: events.count,
                    payload: $0,
                    previousHash: previous
                ).hash
            }
            bytes += encoder.encodedFrame
        }
        let segment = store.path + "/log/" + first.location.segment
        try LogFileBytes.truncate(segment, to: Int(first.location.offset))
        try LogFileBytes.append(bytes, to: segment)
    }

    @Test("a last frame rewritten with valid checksums and link is reported, naming the recorded head")
    func rewrittenLastFrame() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let ledger = try await store.open()
        for text in ["one", "two", "three"] {
            try await ledger.session("s").addItems([ItemFactory.user(text)])
        }
        let head = try LogReader.open(directory: store.path).headHashHex
        try await ledger.close()
        #expect(try await Ledger.verifyLog(at: store.path).isIntact)

        try Self.rewriteLastFrame(of: store, text: "three, rewritten")
        let verification = try await Ledger.verifyLog(at: store.path)
        #expect(!verification.isIntact)
        let problem = try #require(verification.problems.first)
        #expect(problem.code == .corruptLog)
        #expect(problem.message.contains("sequence 3 with the hash \(head.prefix(16))"), "\(problem.message)")
        #expect(problem.location?.sequence == 3)
        // What the chain alone says of it: nothing.
        #expect(LogReader.verify(directory: store.path, expectedHead: nil).problems.isEmpty)
    }

    @Test("no problem from a recorded head the log still has, nor after more frames were appended")
    func recordedHeadStillThere() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        var ledger = try await store.open()
        try await ledger.session("s").addItems([ItemFactory.user("one")])
        try await ledger.close()
        ledger = try await store.open()
        try await ledger.session("s").addItems([ItemFactory.user("two")])
        // The writer is open: the model's recorded head is sequence 1's, and the log goes on.
        #expect(try await Ledger.verifyLog(at: store.path).problems.isEmpty)
        try await ledger.close()
        #expect(try await Ledger.verifyLog(at: store.path).problems.isEmpty)
    }

    /// A store of three frames, one event each ("one", "two", "three"), closed cleanly.
    static func closedStoreOfThreeFrames() async throws -> TemporaryStore {
        let store = try TemporaryStore()
        let ledger = try await store.open()
        for text in ["one", "two", "three"] {
            try await ledger.session("s").addItems([ItemFactory.user(text)])
        }
        try await ledger.close()
        #expect(try await Ledger.verifyLog(at: store.path).isIntact)
        return store
    }

    @Test("a chain recomputed after a change is reported without calling the events before the head intact")
    func recomputedChainHasNoSalvageHint() async throws {
        let store = try await Self.closedStoreOfThreeFrames()
        defer { store.remove() }
        try Self.recomputeChain(of: store, from: 2, text: "two, changed")
        let verification = try await Ledger.verifyLog(at: store.path)
        let problem = try #require(verification.problems.first)
        #expect(problem.message.contains("recorded the log's head"), "\(problem.message)")
        // Event 2 was changed: nothing tells which events before the head are intact.
        #expect(!problem.message.contains("are intact"), "\(problem.message)")
    }

    @Test("a chain recomputed from its first frame is reported, though the log's identity changed with it")
    func recomputedFromTheFirstFrame() async throws {
        let store = try await Self.closedStoreOfThreeFrames()
        defer { store.remove() }
        try Self.recomputeChain(of: store, from: 1, text: "one, changed")
        #expect(LogReader.verify(directory: store.path, expectedHead: nil).problems.isEmpty)
        let verification = try await Ledger.verifyLog(at: store.path)
        #expect(!verification.isIntact)
        let problem = try #require(verification.problems.first)
        #expect(problem.code == .corruptLog)
        #expect(problem.message.contains("first frame"), "\(problem.message)")
    }

    @Test("a log of one frame, rewritten, is reported")
    func rewrittenOnlyFrame() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let ledger = try await store.open()
        try await ledger.session("s").addItems([ItemFactory.user("one")])
        try await ledger.close()
        try Self.rewriteLastFrame(of: store, text: "one, rewritten")
        #expect(!(try await Ledger.verifyLog(at: store.path).isIntact))
    }
}
