import AgentLedger
import AgentLedgerTestSupport
import Testing

@Suite("CLI bench: repetitions and their medians")
struct CLIBenchTests {
    /// Runs `agentledger bench` with `arguments` (one writer, 0.1 s per repetition, no fsync).
    static func bench(_ arguments: [String]) async throws -> CLIRunner.Result {
        try await CLIRunner().run(
            ["bench", "--workload", "b1", "--duration", "0.1", "--durability", "none"] + arguments
        )
    }

    @Test("three repetitions by default: each its own seed and object, the figures their medians")
    func defaultRepetitions() async throws {
        let result = try await Self.bench(["--seed", "7"])
        #expect(result.status == 0, "\(result.standardError)")
        let summary = try CLIStore.json(result.standardOutput)
        #expect(summary["repetitions"]?.intValue == 3)
        #expect(summary["seed"]?.intValue == 7)
        #expect(summary["workload"]?.stringValue == "b1")
        let runs = try #require(summary["runs"]?.arrayValue)
        #expect(runs.compactMap { $0["seed"]?.intValue } == [7, 8, 9])
        let rates = runs.compactMap { $0["calls_per_s"]?.doubleValue }.sorted()
        #expect(rates.count == 3 && rates[0] > 0)
        #expect(summary["calls_per_s"]?.doubleValue == rates[1])
        #expect(result.standardError.contains("repetition 3 of 3 done"))
    }

    @Test("an even count takes the mean of the two middle runs; one repetition prints no runs")
    func evenAndSingle() async throws {
        let two = try await Self.bench(["--repetitions", "2"])
        #expect(two.status == 0, "\(two.standardError)")
        let summary = try CLIStore.json(two.standardOutput)
        let runs = try #require(summary["runs"]?.arrayValue)
        let rates = runs.compactMap { $0["calls_per_s"]?.doubleValue }
        #expect(rates.count == 2)
        #expect(summary["calls_per_s"]?.doubleValue == (rates[0] + rates[1]) / 2)

        let one = try await Self.bench(["--repetitions", "1"])
        #expect(one.status == 0, "\(one.standardError)")
        let single = try CLIStore.json(one.standardOutput)
        #expect(single["repetitions"]?.intValue == 1)
        #expect(single["runs"] == nil)
        #expect((single["calls_per_s"]?.doubleValue ?? 0) > 0)
        #expect(!one.standardError.contains("repetition"))
    }

    @Test(
        "bad options are refused before any run",
        arguments: [
            (["--repetitions", "0"], "--repetitions must be at least 1, not 0"),
            (["--workload", "z"], "unknown workload z: use a, b1, b100, c, e, f, log"),
            (["--compression-level", "0"], "--compression-level must be between 1 and 22, not 0"),
            (["--duration=-1"], "--duration must be more than 0 and at most 86400 seconds, not -1.0"),
            (["--duration", "nan"], "--duration must be more than 0 and at most 86400 seconds, not nan"),
            (["--duration", "1e300"], "--duration must be more than 0 and at most 86400 seconds, not 1e+300"),
            (["--items=-5"], "--items must be at least 1, not -5"),
            (["--out", "/nonexistent/dir/x.json"], "--out /nonexistent/dir/x.json: the directory /nonexistent/dir"),
        ]
    )
    func refused(arguments: [String], message: String) async throws {
        let result = try await CLIRunner().run(["bench"] + arguments)
        #expect(result.status == 64, "\(result.standardError)")
        #expect(result.standardError.hasPrefix("agentledger: " + message), "\(result.standardError)")
        #expect(result.standardOutput.isEmpty)
    }

    @Test("--compression-level reaches the log: (f) at level 19 writes fewer bytes than at level 1")
    func compressionLevel() async throws {
        // A Fixtures file stands in for the corpus, so that (f) runs in moments.
        func bytes(_ level: Int) async throws -> (level: Int?, bytes: Int) {
            let result = try await CLIRunner().run([
                "bench", "--workload", "f", "--compression-level", "\(level)",
                "--corpus", "Fixtures/conversations/weather-agent.jsonl",
            ])
            #expect(result.status == 0, "\(result.standardError)")
            let summary = try CLIStore.json(result.standardOutput)
            let logBytes = try #require(summary["fixtures_conversation_per_call_log_bytes"]?.intValue)
            // One conversation leaves nothing held out: no figure rather than a ratio of 0 bytes.
            #expect(summary["corpus_held_out_1_per_call_ratio"] == nil)
            return (summary["compression_level"]?.intValue, logBytes)
        }
        let fast = try await bytes(1)
        let small = try await bytes(19)
        #expect(fast.level == 1 && small.level == 19)
        #expect(small.bytes < fast.bytes, "level 19: \(small.bytes) bytes, level 1: \(fast.bytes)")
    }

    @Test("(c) reports per-call medians of whole microseconds or more, now and as of the past")
    func readMedians() async throws {
        let result = try await CLIRunner().run(["bench", "--workload", "c", "--duration", "0.2", "--repetitions", "1"])
        #expect(result.status == 0, "\(result.standardError)")
        let summary = try CLIStore.json(result.standardOutput)
        for key in ["last20_ms", "all_ms", "asof_last20_ms", "asof_all_ms"] {
            // A read of 20 items takes microseconds at least, one of 10,000 far more.
            #expect((summary[key]?.doubleValue ?? 0) > 0.001, "\(key): \(String(describing: summary[key]))")
        }
    }

    @Test("(e) reports the sessions it rebuilt, not --sessions of (a)")
    func rebuildSessions() async throws {
        let result = try await CLIRunner().run([
            "bench", "--workload", "e", "--items", "2000",
            "--corpus", "Fixtures/conversations/weather-agent.jsonl",
        ])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.components(separatedBy: "\"sessions\"").count == 2, "one sessions key")
        #expect(try CLIStore.json(result.standardOutput)["sessions"]?.intValue == 2)
    }
}
