import AgentLedgerTestSupport
import Foundation
import Testing

@testable import AgentLedger

/// Hostile stores whose frames have valid checksums but lie about their content, opened in a
/// child process (`ledger-torture open`), so that a crash is a failed test rather than the end
/// of the test run. A store that lies must be refused with `corruptLog`, never crash the reader.
@Suite("Reliability: hostile stores (opened in a child process)", .timeLimit(.minutes(3)))
struct ReliabilityHostileStoreTests {
    /// Builds a three-event store, lets `patch` rewrite the last frame's header and stored
    /// payload (checksums recomputed afterwards, the hash chain intact: it is the last frame),
    /// removes the read model, and opens it in a child process. Returns the child's record.
    private func openPatched(
        _ name: String,
        patch: (inout [UInt8]) -> Void
    ) async throws -> (termination: ReliabilityChildProcess.Termination?, record: String, error: String) {
        let directory = try TemporaryDirectory(prefix: "reliability-hostile")
        defer { directory.remove() }
        let store = directory.path + "/store"
        let ledger = try await Ledger.open(at: store, options: LedgerOptions(durability: .none))
        for number in 1...3 {
            try await ledger.session("s").addItems([ItemFactory.user("event \(number)")])
        }
        try await ledger.close()
        let reader = try LogReader.open(directory: store)
        var frames = reader.frames(from: 3)
        let frame = try #require(try frames.next())
        let path = store + "/log/" + frame.location.segment
        var bytes = try LogFileBytes.read(path)
        var last = Array(bytes[Int(frame.location.offset)...])
        patch(&last)
        LogTestHelpers.resealFrame(&last, at: 0)
        bytes.replaceSubrange(Int(frame.location.offset)..., with: last)
        try LogFileBytes.write(bytes, to: path)
        ReliabilityHelpers.removeReadModel(store)
        let child = try ReliabilityChildProcess(
            executable: try ReliabilityExecutables.ledgerTorture(),
            arguments: ["open", "--store", store]
        )
        let termination = await child.waitForExit(timeout: .seconds(120))
        if termination == nil {
            child.kill()
        }
        let record = child.lines.first { $0.hasPrefix("refused ") || $0.hasPrefix("opened ") } ?? ""
        let error =
            child.standardError.split(separator: "\n").first { $0.contains("Fatal error") }.map(String.init) ?? ""
        print("RELIABILITY hostile store (\(name)): \(termination.map { "\($0)" } ?? "hung") \(record) \(error)")
        return (termination, record, error)
    }

    @Test("a frame claiming 4 billion events (valid checksums) is refused as corruptLog, not a crash")
    func hugeEventCount() async throws {
        let outcome = try await openPatched("eventCount 0xFFFFFFF0") { frame in
            frame.replaceSubrange(4..<8, with: [0xF0, 0xFF, 0xFF, 0xFF])
        }
        #expect(outcome.termination == .exited(74) && outcome.record.hasPrefix("refused corruptLog"), "\(outcome)")
    }

    @Test(
        "an event whose string length runs a few bytes past the payload (valid checksums) is refused as corruptLog, not a crash"
    )
    func lengthPastTheEnd() async throws {
        // The last frame stored as is (codec 0): version 1, kind 1, sequence 3, timestamp 0, then a
        // session id whose length (2 bytes of varint) claims one byte more than is left.
        let outcome = try await openPatched("string length past the end") { frame in
            let payload: [UInt8] = [1, 1, 3, 0, 0x81, 0x00]  // length 1 in a 2-byte varint; nothing follows
            frame.replaceSubrange(64..., with: payload)
            frame.replaceSubrange(
                0..<4,
                with: withUnsafeBytes(of: UInt32(64 + payload.count).littleEndian) { Array($0) }
            )
            frame[16] = 0
            frame.replaceSubrange(20..<24, with: withUnsafeBytes(of: UInt32(payload.count).littleEndian) { Array($0) })
        }
        #expect(outcome.termination == .exited(74) && outcome.record.hasPrefix("refused corruptLog"), "\(outcome)")
    }
}
