import AgentLedgerTestSupport
import Foundation
import Testing

/// The long runs of `make stress` (RELIABILITY.md), enabled by `AGENTLEDGER_STRESS=1`:
/// a soak of `AGENTLEDGER_STRESS_OPS` operations (default 1,000,000) in a `ledger-torture soak`
/// child whose resident memory must stay flat, and `AGENTLEDGER_STRESS_KILLS` kill -9 runs
/// (default 500). Their progress is printed as it comes.
@Suite(
    "Reliability: stress (make stress)",
    .enabled(if: ProcessInfo.processInfo.environment["AGENTLEDGER_STRESS"] != nil),
    .serialized,
    .timeLimit(.minutes(180))
)
struct ReliabilityStressTests {
    /// Writes a progress line at once (`print` is buffered when the output is a pipe).
    private func say(_ line: String) {
        FileHandle.standardOutput.write(Data(("RELIABILITY soak: " + line + "\n").utf8))
    }

    /// Shows the child's new lines as they come until it ends; returns how it ended.
    private func follow(
        _ child: ReliabilityChildProcess,
        timeout: Duration
    ) async -> ReliabilityChildProcess.Termination? {
        let deadline = ContinuousClock.now + timeout
        var shown = 0
        while ContinuousClock.now < deadline {
            let lines = child.lines
            for line in lines[shown...] {
                say(line)
            }
            shown = lines.count
            if let termination = child.termination {
                let ended = await child.waitForExit(timeout: .seconds(10))
                for line in child.lines[shown...] {
                    say(line)
                }
                return ended ?? termination
            }
            try? await Task.sleep(for: .seconds(1))
        }
        return nil
    }

    @Test("a 1,000,000-operation soak: resident memory and descriptors stay flat")
    func soak() async throws {
        let operations = ReliabilityHelpers.environmentInt("AGENTLEDGER_STRESS_OPS", default: 1_000_000)
        let directory = try TemporaryDirectory(prefix: "reliability-soak")
        defer { directory.remove() }
        let child = try ReliabilityChildProcess(
            executable: try ReliabilityExecutables.ledgerTorture(),
            arguments: [
                "soak", "--store", directory.path + "/store", "--ops", "\(operations)",
                "--report-every", "\(max(1, operations / 20))",
            ]
        )
        let termination = await follow(child, timeout: .seconds(3 * 3600))
        if termination == nil {
            child.kill()
        }
        #expect(termination == .exited(0), "\(child.standardError.suffix(2000))")
        // rss ops=<n> kb=<k> fds=<f>
        let samples: [(ops: Int, kilobytes: Int, descriptors: Int)] = child.lines.compactMap { line in
            guard line.hasPrefix("rss ") else {
                return nil
            }
            var values: [String: Int] = [:]
            for field in line.split(separator: " ").dropFirst() {
                let parts = field.split(separator: "=")
                if parts.count == 2 {
                    values[String(parts[0])] = Int(parts[1])
                }
            }
            guard let ops = values["ops"], let kilobytes = values["kb"], let descriptors = values["fds"] else {
                return nil
            }
            return (ops, kilobytes, descriptors)
        }
        let warm = try #require(samples.first { $0.ops >= operations / 10 }, "no sample after warm-up")
        let last = try #require(samples.last)
        let largest = samples.filter { $0.ops >= warm.ops }.map(\.kilobytes).max() ?? 0
        // Flat: after warm-up, no more than 32 MiB (or a quarter) above the warm figure, however
        // many operations follow (SQLite's page caches fill up to their fixed size meanwhile).
        let allowance = max(32 * 1024, warm.kilobytes / 4)
        #expect(largest - warm.kilobytes <= allowance, "RSS grew from \(warm.kilobytes) KiB to \(largest) KiB")
        #expect(
            samples.filter { $0.ops >= warm.ops }.allSatisfy { $0.descriptors == warm.descriptors },
            "descriptors changed"
        )
        print(
            "RELIABILITY soak: \(operations) operations; VmRSS after warm-up \(warm.kilobytes) KiB (at \(warm.ops)), "
                + "largest \(largest) KiB, last \(last.kilobytes) KiB; descriptors \(warm.descriptors) -> \(last.descriptors)"
        )
    }

    @Test("kill -9 at 500 seeded random moments")
    func manyKills() async throws {
        let runs = ReliabilityHelpers.environmentInt("AGENTLEDGER_STRESS_KILLS", default: 500)
        let figures = try await ReliabilityKillRunner(runs: runs, seed: 0x57E5_5000).run()
        print("RELIABILITY kill -9 (stress): \(figures)")
        #expect(figures.kills == runs)
    }
}
