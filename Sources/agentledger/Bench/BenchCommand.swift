import AgentLedger
import ArgumentParser
import Foundation

/// `agentledger bench`: repetitions of one benchmark workload, each on a fresh store, printed
/// as one JSON object of medians.
///
/// `make bench-compare` runs it one repetition at a time (`--repetitions 1`), alternately with
/// the OpenAI Agents SDK's harness (Benchmarks/compare.py), and prints the medians and ratios.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run a benchmark workload on fresh temporary stores and print the median figures as JSON.",
        discussion: """
            Workloads: a = 30 writers (1 item per call) + 10 readers (last 10 items) for --duration \
            seconds (g = the same with --advanced, which selects the SDK's AdvancedSQLiteSession on the \
            SDK's side; AgentLedger keeps turns and branches for every session, so its calls are those \
            of a); b1, b100 = one writer \
            awaiting each call of 1 or 100 items; c = last 20 and all items of a 10,000-item session, \
            now and as of a past sequence number (d); e = rebuild of --items corpus items across \
            --items/1000 sessions; f = log bytes against raw item JSON; log = 1, 8 and 30 appenders in each \
            durability mode (events/s, events per group commit, bytes). Build in release mode.

            Each repetition runs on a fresh store, repetition k with seed --seed + k - 1; the object \
            printed holds the median of every figure, "repetitions", and, for more than one, each \
            repetition's own object under "runs".
            """
    )

    @Option(help: "The workload: a, b1, b100, c, e, f, log.")
    var workload: String = "a"

    @Option(parsing: .unconditional, help: "Seconds to run (a, b, c).")
    var duration: Double = 5

    @Option(help: "Repetitions whose medians are printed. Default: 3 for a, b1, b100 and c; 1 for e, f and log.")
    var repetitions: Int?

    @Option(help: "Seed for the start order of the tasks in (a).")
    var seed: UInt64 = 1

    @Option(help: "Also write the JSON object to this file.")
    var out: String?

    @Flag(
        help: """
            Workload g: a against the SDK's AdvancedSQLiteSession. AgentLedger's calls are those of a \
            (every session keeps turns and branches); the flag labels the figures.
            """
    )
    var advanced = false

    @Flag(
        help: """
            With a: writers alternate user and assistant items on a branch of each session and record \
            usage every 10th call, to profile that work (AgentLedger only: not a workload of the comparison).
            """
    )
    var featureMix = false

    @Option(help: "Sessions the tasks of (a) and (g) share: task t works on session s{t % sessions}.")
    var sessions = 3

    @Option(help: "The start of the session ids of (a) and (g), in place of s (a UUID-like prefix, say).")
    var sessionPrefix = "s"

    @Flag(help: "Add the writer thread's time per group commit, by phase, to the figures (a, b1, b100).")
    var profileWriter = false

    @Option(help: "fsync (default), none, or interval:MS.")
    var durability = DurabilityArgument(.fsync)

    @Option(help: "Zero bytes reserved ahead of the log's frames (a, b1, b100); 0 turns it off. Default 1 MiB.")
    var logPreallocation = LedgerOptions().logPreallocationBytes

    @Option(help: "Read-only SQLite connections serving queries (a, b1, b100). Default: the library's, by cores.")
    var readerCount = LedgerOptions.defaultReaderCount

    @Option(
        help: "The quality of service of the ledger's queries (a, b1, b100); on Linux background runs them at nice 10."
    )
    var queryQos = QueryQoSArgument()

    @Option(help: "The log's zstd compression level (a, b1, b100, f). Default: the library's.")
    var compressionLevel = LedgerOptions().compressionLevel

    @Option(parsing: .unconditional, help: "Items for the rebuild workload (e).")
    var items = 1_000_000

    @Option(help: "The corpus JSON Lines file (e, f). Default: $AGENTLEDGER_CORPUS, else ../shared/corpus.")
    var corpus: String?

    /// The workloads `--workload` accepts.
    static let workloads = ["a", "b1", "b100", "c", "e", "f", "log"]

    func validate() throws {
        guard readerCount >= 1 else {
            throw ValidationError("--reader-count must be at least 1, not \(readerCount)")
        }
        // Converted to whole nanoseconds: NaN, infinity or a negative count would trap.
        guard duration.isFinite, duration > 0, duration <= 86_400 else {
            throw ValidationError("--duration must be more than 0 and at most 86400 seconds, not \(duration)")
        }
        guard items >= 1 else {
            throw ValidationError("--items must be at least 1, not \(items)")
        }
        if let out {
            // Checked before the runs, which may take minutes, rather than after them.
            let directory = URL(fileURLWithPath: out).deletingLastPathComponent().path
            guard FileManager.default.isWritableFile(atPath: directory) else {
                throw ValidationError("--out \(out): the directory \(directory) does not exist or is not writable")
            }
        }
        guard (1...22).contains(compressionLevel) else {
            throw ValidationError("--compression-level must be between 1 and 22, not \(compressionLevel)")
        }
        guard sessions >= 1 else {
            throw ValidationError("--sessions must be at least 1, not \(sessions)")
        }
        guard Self.workloads.contains(workload) else {
            throw ValidationError("unknown workload \(workload): use \(Self.workloads.joined(separator: ", "))")
        }
        if let repetitions, repetitions < 1 {
            throw ValidationError("--repetitions must be at least 1, not \(repetitions)")
        }
    }

    func run() async throws {
        let count = repetitions ?? (["e", "f", "log"].contains(workload) ? 1 : 3)
        var repeated = BenchRepetitions()
        var runs: [String] = []
        for index in 0..<count {
            let seed = seed &+ UInt64(index)
            var result = try await runOnce(seed: seed)
            repeated.append(result)
            identify(&result, seed: seed)
            runs.append(result.json)
            if count > 1 {
                let line = "bench \(workload): repetition \(index + 1) of \(count) done\n"
                try? OutputBuffer.write(Array(line.utf8), to: STDERR_FILENO)
            }
        }
        var summary = repeated.medians
        identify(&summary, seed: seed)
        summary.set("repetitions", count)
        if count > 1 {
            summary.objects.append(("runs", "[" + runs.joined(separator: ", ") + "]"))
        }
        let json = summary.json
        var output = OutputBuffer()
        output.line(json)
        try output.flush()
        if let out {
            try (json + "\n").write(toFile: out, atomically: true, encoding: .utf8)
        }
    }

    /// One repetition on a fresh temporary store, removed afterwards.
    private func runOnce(seed: UInt64) async throws -> BenchResult {
        let directory = FileManager.default.temporaryDirectory.path + "/agentledger-bench-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let settings = BenchWorkloads.Settings(
            duration: .milliseconds(Int(duration * 1000)),
            seed: seed,
            durability: durability.durability,
            featureMix: featureMix,
            sessions: sessions,
            sessionPrefix: sessionPrefix,
            profileWriter: profileWriter,
            logPreallocation: logPreallocation,
            readerCount: readerCount,
            queryQoS: queryQos.qos,
            compressionLevel: compressionLevel,
            directory: directory,
            items: items,
            corpus: corpus
        )
        switch workload {
        case "a": return try await BenchWorkloads.concurrent(settings)
        case "b1": return try await BenchWorkloads.singleWriter(settings, itemsPerCall: 1)
        case "b100": return try await BenchWorkloads.singleWriter(settings, itemsPerCall: 100)
        case "c": return try await BenchWorkloads.reads(settings)
        case "e": return try await BenchWorkloads.rebuild(settings)
        case "f": return try await BenchWorkloads.bytes(settings)
        case "log": return try await BenchWorkloads.appenders(settings)
        default: throw CLIFailure.usage("unknown workload \(workload): use \(Self.workloads.joined(separator: ", "))")
        }
    }

    /// Names the workload and its settings at the head of `result`.
    private func identify(_ result: inout BenchResult, seed: UInt64) {
        result.strings.insert(("implementation", "AgentLedger"), at: 0)
        result.strings.insert(("workload", workload), at: 1)
        result.set("advanced", advanced ? 1 : 0)
        if featureMix {
            result.set("feature_mix", 1)
        }
        // (e) records the sessions it rebuilds; the others share --sessions only in (a) and (g).
        if !result.values.contains(where: { $0.0 == "sessions" }) {
            result.set("sessions", sessions)
        }
        if sessionPrefix != "s" {
            result.set("session_prefix", sessionPrefix)
        }
        if compressionLevel != LedgerOptions().compressionLevel {
            result.set("compression_level", compressionLevel)
        }
        result.set("seed", Int(seed))
        result.set("duration_s", duration)
    }
}
