import AgentLedger
import AgentLedgerTestSupport
import Foundation

/// Stores built for the Reliability suites.
enum ReliabilityFixture {
    /// Builds a store at `path` holding `calls` add calls over four sessions (`d0`…`d3`, 1–3
    /// items each, text zstd cannot shrink much), a pop after every seventh call and a clear of
    /// `d3` halfway, in segments of `segmentSizeBytes`; one call at a time, so that every call
    /// is one frame. Returns every event of the log.
    static func build(
        at path: String,
        calls: Int = 120,
        segmentSizeBytes: Int = 4096,
        seed: UInt64 = 0xF1C5
    ) async throws -> [LedgerEvent] {
        var random = SeededRandom(seed: seed)
        let ledger = try await Ledger.open(
            at: path,
            options: LedgerOptions(durability: .none, segmentSizeBytes: segmentSizeBytes)
        )
        for call in 0..<calls {
            let session = ledger.session("d\(call % 4)")
            let count = Int.random(in: 1...3, using: &random)
            let items = (0..<count).map { index in
                ItemFactory.user("call \(call) item \(index) \(text(&random, count: 40))")
            }
            try await session.addItems(items)
            if call % 7 == 6 {
                _ = try await session.popItem()
            }
            if call == calls / 2 {
                try await ledger.session("d3").clearSession()
            }
        }
        let events = try await ReliabilityHelpers.events(ledger)
        try await ledger.close()
        return events
    }

    /// Builds a store at `path` that uses every kind of event: turns with tool calls, branches
    /// (created, switched, deleted), usage, pops and a clear, over three sessions.
    static func buildRich(at path: String) async throws {
        let ledger = try await Ledger.open(at: path, options: LedgerOptions(durability: .none))
        for number in 0..<3 {
            let session = ledger.session("rich-\(number)")
            for turn in 1...4 {
                try await session.addItems([
                    ItemFactory.user("what is the weather in city \(turn) of session \(number)?"),
                    ItemFactory.functionCall("get_weather", arguments: #"{"city":"\#(turn)"}"#, callID: "c\(turn)"),
                    ItemFactory.functionOutput("sunny, \(20 + turn) degrees", callID: "c\(turn)"),
                    ItemFactory.assistant("It is sunny in city \(turn)."),
                ])
                await session.storeRunUsage(
                    RunUsage(requests: 1, inputTokens: 100 * turn, outputTokens: 10 * turn, totalTokens: 110 * turn)
                )
            }
            _ = try await session.popItem()
            try await session.createBranch(fromTurn: 3, named: "retry")
            try await session.addItems([ItemFactory.user("try again with another city, please")])
            try await session.switchToBranch("main")
            if number == 1 {
                try await session.deleteBranch("retry")
            }
            if number == 2 {
                try await session.clearSession()
                try await session.addItems([ItemFactory.user("a fresh start after the clear")])
            }
        }
        try await ledger.close()
    }

    /// `count` characters of lowercase letters and digits.
    static func text(_ random: inout SeededRandom, count: Int) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        return String((0..<count).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &random)] })
    }
}
