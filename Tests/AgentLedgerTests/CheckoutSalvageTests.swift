import AgentLedger
import AgentLedgerTestSupport
import Foundation
import Testing

/// A log damaged inside (valid frames after the damage) is refused by every command, and the
/// refusal says how to copy the intact events before the damage out; that checkout works.
@Suite("Checkout of the intact events before damage")
struct CheckoutSalvageTests {
    /// The offsets of the frames of a segment file: its 32-byte header, then frames that start
    /// with their length (little-endian, 4 bytes).
    static func frameOffsets(_ path: String) throws -> [Int] {
        let bytes = try LogFileBytes.read(path)
        var offsets: [Int] = []
        var offset = 32
        while offset + 64 <= bytes.count {
            let length = bytes[offset..<offset + 4].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            guard length >= 64 else {
                break
            }
            offsets.append(offset)
            offset += length
        }
        return offsets
    }

    @Test("damage in a frame's header or payload", arguments: [40, 100])
    func salvage(offsetInFrame: Int) async throws {
        let source = try await CheckoutTests.source(events: 10)
        defer { source.remove() }
        let name = try #require(try LogFileBytes.list(source.path + "/log").first { $0.hasSuffix(".seg") })
        let segment = source.path + "/log/" + name
        let offsets = try Self.frameOffsets(segment)
        #expect(offsets.count == 10)
        try LogFileBytes.flipBit(segment, at: offsets[3] + offsetInFrame)

        let refused = try await #require(throws: LedgerError.self) { try await source.open() }
        #expect(refused.code == .corruptLog)
        #expect(refused.message.contains("The events through 3 are intact: `agentledger checkout --as-of-seq 3"))

        let verification = try await Ledger.verifyLog(at: source.path)
        #expect(verification.problems.first?.message.contains("`agentledger checkout --as-of-seq 3") == true)

        let copy = source.path + "-copy"
        defer { try? FileManager.default.removeItem(atPath: copy) }
        #expect(try await Ledger.checkout(from: source.path, through: 3, into: copy) == 3)
        let ledger = try await Ledger.open(at: copy)
        let expected = (0..<3).map { ItemFactory.user("item \($0)").json }
        #expect(try await ledger.session("s").items().map(\.json) == expected)
        try await ledger.close()

        let past = try await #require(throws: LedgerError.self) {
            try await Ledger.checkout(from: source.path, through: 4, into: source.path + "-past")
        }
        #expect(past.code == .corruptLog && past.message.contains("--as-of-seq 3"))
        #expect(!FileManager.default.fileExists(atPath: source.path + "-past"))
    }
}
