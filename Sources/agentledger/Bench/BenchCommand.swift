import AgentLedger
import ArgumentParser
import Foundation

/// `agentledger bench`: one repetition of one benchmark workload, printed as a JSON object.
///
/// `make bench-compare` runs it alternately with the OpenAI Agents SDK's harness
/// (Benchmarks/compare.py) and prints the medians and ratios.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run one benchmark workload on a fresh temporary store and print its figures as JSON.",
        discussion: """
            Workloads: a = 30 writers (1 item per call) + 10 readers (last 10 items) for --duration \
            seconds (--advanced: with turns, a branch and usage, workload g); b1, b100 = one writer \
            awaiting each call of 1 or 100 items; c = last 20 and all items of a 10,000-item session, \
            now and as of a past sequence number (d); e = rebuild of --items corpus items across \
            --items/1000 sessions; f = log bytes against raw item JSON; log = 1, 8 and 30 appenders in each \
            durability mode (events/s, events per group commit, bytes). Build in release mode.
            """
    )

    @Option(help: "The workload: a, b1, b100, c, e, f, log.")
    var workload: String = "a"

    @Option(help: "Seconds to run (a, b, c).")
    var duration: Double = 5

    @Option(help: "Seed for the start order of the tasks in (a).")
    var seed: UInt64 = 1

    @Option(help: "Also write the JSON object to this file.")
    var out: String?

    @Flag(help: "Workload a with turn, branch and usage bookkeeping (g).")
    var advanced = false

    @Option(help: "Sessions the tasks of (a) and (g) share: task t works on session s{t % sessions}.")
    var sessions = 3

    @Flag(help: "Add the writer thread's time per group commit, by phase, to the figures (a, b1, b100).")
    var profileWriter = false

    @Option(help: "fsync (default), none, or interval:MS.")
    var durability = DurabilityArgument(.fsync)

    @Option(help: "Zero bytes reserved ahead of the log's frames (a, b1, b100); 0 turns it off. Default 1 MiB.")
    var logPreallocation = LedgerOptions().logPreallocationBytes

    @Option(help: "Items for the rebuild workload (e).")
    var items = 1_000_000

    @Option(help: "The corpus JSON Lines file (e, f). Default: $AGENTLEDGER_CORPUS, else ../shared/corpus.")
    var corpus: String?

    func validate() throws {
        guard sessions >= 1 else {
            throw ValidationError("--sessions must be at least 1, not \(sessions)")
        }
    }

    func run() async throws {
        let directory = FileManager.default.temporaryDirectory.path + "/agentledger-bench-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let settings = BenchWorkloads.Settings(
            duration: .milliseconds(Int(duration * 1000)),
            seed: seed,
            durability: durability.durability,
            advanced: advanced,
            sessions: sessions,
            profileWriter: profileWriter,
            logPreallocation: logPreallocation,
            directory: directory,
            items: items,
            corpus: corpus
        )
        var result: BenchResult
        switch workload {
        case "a": result = try await BenchWorkloads.concurrent(settings)
        case "b1": result = try await BenchWorkloads.singleWriter(settings, itemsPerCall: 1)
        case "b100": result = try await BenchWorkloads.singleWriter(settings, itemsPerCall: 100)
        case "c": result = try await BenchWorkloads.reads(settings)
        case "e": result = try await BenchWorkloads.rebuild(settings)
        case "f": result = try await BenchWorkloads.bytes(settings)
        case "log": result = try await BenchWorkloads.appenders(settings)
        default: throw CLIFailure.usage("unknown workload \(workload): use a, b1, b100, c, e, f or log")
        }
        result.strings.insert(("implementation", "AgentLedger"), at: 0)
        result.strings.insert(("workload", workload), at: 1)
        result.set("advanced", advanced ? 1 : 0)
        result.set("sessions", sessions)
        result.set("seed", Int(seed))
        result.set("duration_s", duration)
        let json = result.json
        var output = OutputBuffer()
        output.line(json)
        try output.flush()
        if let out {
            try (json + "\n").write(toFile: out, atomically: true, encoding: .utf8)
        }
    }
}
