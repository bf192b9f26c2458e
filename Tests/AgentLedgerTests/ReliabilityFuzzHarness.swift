import AgentLedgerTestSupport
import Foundation
import Testing

/// Runs a fuzz target in child processes (this test binary, filtered to
/// ``ReliabilityFuzzWorkerTests``): a crash or a hang ends the child, is recorded with the input
/// that caused it and the crash message, and a new child goes on from the next input.
enum ReliabilityFuzzHarness {
    /// An input that crashed (or hung) a worker.
    struct Crash: CustomStringConvertible {
        let index: Int
        let message: String

        var description: String { "input \(index): \(message)" }
    }

    /// What the workers reported.
    struct Outcome {
        var tally = ReliabilityFuzzTargets.Tally()
        var crashes: [Crash] = []
        var failures: [String] = []
        var workers = 0
    }

    /// Runs inputs `0..<count` of `target`, restarting after each crash (at most `maxCrashes`).
    static func run(
        target: String,
        count: Int,
        environment: [String: String] = [:],
        maxCrashes: Int = 20
    ) async throws -> Outcome {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
        var outcome = Outcome()
        var start = 0
        while start < count {
            let child = try ReliabilityChildProcess(
                executable: executable,
                arguments: ["--testing-library", "swift-testing", "--filter", "ReliabilityFuzzWorkerTests"],
                environment: environment.merging(
                    [
                        "AGENTLEDGER_FUZZ_WORKER": target, "AGENTLEDGER_FUZZ_START": "\(start)",
                        "AGENTLEDGER_FUZZ_END": "\(count)",
                        // A short crash report: the crashed thread only, enough to name the place.
                        "SWIFT_BACKTRACE": "enable=yes,threads=crashed,registers=none,images=none",
                    ]
                ) { _, new in new }
            )
            outcome.workers += 1
            var termination = await child.waitForExit(timeout: .seconds(900))
            if termination == nil {
                child.kill()
                termination = await child.waitForExit(timeout: .seconds(30))
            }
            let lines = child.lines
            outcome.failures += lines.filter { $0.contains("recorded an issue") }.prefix(10)
            if let done = lines.last(where: { $0.hasPrefix("FUZZ done ") }) {
                outcome.tally.add(ReliabilityFuzzTargets.Tally(parsing: done.dropFirst("FUZZ done ".count)))
                break
            }
            // The worker died: find the input it was on, and why. The inputs before it count as
            // done (their bytes as far as the worker's last tally says).
            guard let last = lines.last(where: { $0.hasPrefix("FUZZ input ") }),
                let index = Int(last.dropFirst("FUZZ input ".count))
            else {
                outcome.failures.append(
                    "a \(target) worker ended (\(String(describing: termination))) before its first input: "
                        + String(child.standardError.prefix(2000))
                )
                break
            }
            var tally = ReliabilityFuzzTargets.Tally()
            if let line = lines.last(where: { $0.hasPrefix("FUZZ tally ") }) {
                tally = ReliabilityFuzzTargets.Tally(parsing: line.dropFirst("FUZZ tally ".count))
            }
            tally.inputs = index - start
            outcome.tally.add(tally)
            outcome.crashes.append(
                Crash(index: index, message: crashMessage(child.standardError, termination: termination))
            )
            if outcome.crashes.count >= maxCrashes {
                break
            }
            start = index + 1
        }
        return outcome
    }

    /// The fatal error line and the first frame in AgentLedger's sources, from a crash report.
    private static func crashMessage(_ text: String, termination: ReliabilityChildProcess.Termination?) -> String {
        let lines = text.split(separator: "\n")
        let fatal = lines.first { $0.contains("Fatal error") || $0.contains("Program crashed") } ?? ""
        let frame = lines.first { $0.contains("/Sources/AgentLedger/") } ?? ""
        let location = frame.range(of: "/Sources/AgentLedger/").map { String(frame[$0.upperBound...]) } ?? ""
        let function = frame.split(separator: " ").dropFirst(3).prefix(while: { $0 != "in" }).joined(separator: " ")
        return
            "\(termination.map { "\($0)" } ?? "hung"): \(fatal.trimmingCharacters(in: .whitespaces)) at \(location) (\(function))"
    }
}
