import AgentLedger
import Foundation

/// Realistic items for the content-dependent figures: the shared corpus (5,000 Responses API
/// items) or the Fixtures conversations.
struct Corpus {
    /// Items grouped by conversation (the corpus is one group per 50 items).
    let conversations: [(String, [SessionItem])]

    /// Every item in order, flattened once (indexing it per item must not rebuild it).
    let items: [SessionItem]

    init(conversations: [(String, [SessionItem])]) {
        self.conversations = conversations
        self.items = conversations.flatMap(\.1)
    }

    var rawBytes: Int { items.reduce(0) { $0 + $1.jsonBytes.count } }

    /// The corpus file: `path`, else `$AGENTLEDGER_CORPUS`, else ../shared/corpus next to the
    /// working directory's repository.
    static func load(_ path: String?) throws -> Corpus {
        let candidates = [
            path, ProcessInfo.processInfo.environment["AGENTLEDGER_CORPUS"],
            "../shared/corpus/responses-items.jsonl", "../../shared/corpus/responses-items.jsonl",
        ].compactMap { $0 }
        guard let file = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw CLIFailure(
                ExitCodes.noInput,
                "no corpus found (tried \(candidates.joined(separator: ", "))); pass --corpus FILE"
            )
        }
        let items = try lines(file)
        let groups = stride(from: 0, to: items.count, by: 50).map { start in
            ("corpus-\(start / 50)", Array(items[start..<min(start + 50, items.count)]))
        }
        return Corpus(conversations: groups)
    }

    /// The Fixtures/conversations files, found from the working directory.
    static func fixtures() throws -> Corpus {
        let directory = "Fixtures/conversations"
        guard let listed = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            throw CLIFailure(
                ExitCodes.noInput,
                "no \(directory) in \(FileManager.default.currentDirectoryPath): run (f) from the repository's root"
            )
        }
        let names = listed.filter { $0.hasSuffix(".jsonl") }
        return Corpus(conversations: try names.sorted().map { ($0, try lines(directory + "/" + $0)) })
    }

    private static func lines(_ path: String) throws -> [SessionItem] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIFailure(ExitCodes.noInput, "cannot read \(path)")
        }
        return try data.split(separator: 0x0A).map { try SessionItem(jsonBytes: Array($0)) }
    }
}

/// Peak resident memory, from /proc.
enum Memory {
    /// Resets the kernel's peak-RSS mark (VmHWM) of this process.
    static func resetPeak() {
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }

    /// VmHWM from /proc/self/status, in bytes.
    static func peakResidentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else {
            return 0
        }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kilobytes = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
            return kilobytes * 1024
        }
        return 0
    }
}

/// A benchmark that could not produce a valid figure.
struct BenchError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// SplitMix64, to shuffle the start order of the tasks reproducibly.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
