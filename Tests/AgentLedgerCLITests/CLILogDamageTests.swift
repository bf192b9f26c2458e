import AgentLedger
import AgentLedgerTestSupport
import Foundation
import Testing

/// `log` and `verify` on a log damaged after its first segment, and `log`'s time range.
@Suite("CLI log and verify on a damaged log")
struct CLILogDamageTests {
    /// A store of 40 adds in segments of 4 KiB, closed; returns the log's segment paths, oldest first.
    static func multiSegmentStore(_ store: CLIStore) async throws -> [String] {
        let ledger = try await Ledger.open(
            at: store.path,
            options: LedgerOptions(durability: .none, segmentSizeBytes: 4096)
        )
        for index in 1...40 {
            // Text zstd cannot shrink much, so that the adds fill several segments.
            let text = "message \(index) " + (0..<10).map { _ in UUID().uuidString }.joined(separator: " ")
            try await ledger.session("chat").addItems([ItemFactory.user(text)])
        }
        try await ledger.close()
        let directory = store.path + "/log/"
        return try LogFileBytes.list(directory).filter { $0.hasSuffix(".seg") }.sorted().map { directory + $0 }
    }

    /// The first sequence number of a segment, from its file name.
    static func firstSequence(_ path: String) throws -> Int {
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return try #require(Int(name))
    }

    @Test("log prints every event before a damaged frame, then exits 74 naming it")
    func printsWhatIsIntact() async throws {
        let store = try CLIStore()
        let segments = try await Self.multiSegmentStore(store)
        try #require(segments.count >= 3, "\(segments)")
        // A payload byte of the second segment's first frame (32-byte segment header, 64-byte
        // frame header): a sealed segment, so the store still opens.
        let damaged = segments[1]
        let first = try Self.firstSequence(damaged)
        try LogFileBytes.flipBit(damaged, at: 32 + 64 + 10)
        let result = try await store.run("log", "--json")
        #expect(result.status == 74, "\(result.standardError)")
        #expect(result.standardError.contains("sequence \(first)"), "\(result.standardError)")
        let printed = result.lines.map { try? CLIStore.json($0)["seq"]?.intValue }
        #expect(printed == (1..<first).map { $0 }, "\(result.lines.count) lines")
    }

    @Test("verify calls a frame that starts at a sequence number the log already holds a repeat, not a gap")
    func repeatedFrame() async throws {
        let store = try CLIStore()
        let segments = try await Self.multiSegmentStore(store)
        // The last segment's bytes again after it: every frame a repeat.
        let last = try #require(segments.last)
        let bytes = try LogFileBytes.read(last)
        try LogFileBytes.append(Array(bytes[32...]), to: last)
        let result = try await store.run("verify")
        #expect(result.status == 1, "\(result.standardOutput) \(result.standardError)")
        #expect(result.standardOutput.contains("sequence repeated in"), "\(result.standardOutput)")
        #expect(!result.standardOutput.contains("sequence gap"), "\(result.standardOutput)")
    }

    @Test("log --since after --until is a usage error, as --from-seq after --to-seq")
    func reversedTimeRange() async throws {
        let store = try CLIStore()
        try await store.ok("add", "chat", input: #"{"role":"user","content":"one"}"#)
        let result = try await store.run("log", "--since", "2026-11-29T10:00:00Z", "--until", "2026-11-29T09:00:00Z")
        #expect(result.status == 64, "\(result.standardError)")
        #expect(
            result.standardError.contains("--since 2026-11-29T10:00:00Z is after --until"),
            "\(result.standardError)"
        )
        #expect(
            try await store.run("log", "--since", "2026-11-29T09:00:00Z", "--until", "2026-11-29T09:00:00Z").status == 0
        )
    }
}
