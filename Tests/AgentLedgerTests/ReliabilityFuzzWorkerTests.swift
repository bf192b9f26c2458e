import AgentLedgerTestSupport
import Foundation
import Testing

/// The worker of ``ReliabilityFuzzTests``: runs only in a child process that the fuzz tests
/// start (`AGENTLEDGER_FUZZ_WORKER` names the target), so that a crash found by the fuzzer ends
/// the child, not the test run. It announces each input before handling it (`FUZZ input <n>`,
/// one `write(2)` each), the tally every 100 inputs and at the end (`FUZZ done <tally>`).
@Suite(
    "Reliability: fuzz worker (child process only)",
    .enabled(if: ProcessInfo.processInfo.environment["AGENTLEDGER_FUZZ_WORKER"] != nil)
)
struct ReliabilityFuzzWorkerTests {
    private static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    @Test("run the inputs of one fuzz target")
    func work() throws {
        let environment = ProcessInfo.processInfo.environment
        let target = environment["AGENTLEDGER_FUZZ_WORKER"] ?? ""
        let start = Int(environment["AGENTLEDGER_FUZZ_START"] ?? "") ?? 0
        let end = Int(environment["AGENTLEDGER_FUZZ_END"] ?? "") ?? 0
        var base: [String: [UInt8]] = [:]
        if target == "logs" {
            let store = try #require(environment["AGENTLEDGER_FUZZ_STORE"])
            for (name, bytes) in try ReliabilityHelpers.logFiles(store) {
                base["/fuzz/log/" + name] = bytes
            }
        }
        var tally = ReliabilityFuzzTargets.Tally()
        for index in start..<end {
            Self.say("FUZZ input \(index)")
            switch target {
            case "events": ReliabilityFuzzTargets.eventDecoder(index, &tally)
            case "headers": ReliabilityFuzzTargets.headers(index, &tally)
            case "logs": ReliabilityFuzzTargets.damagedLog(index, base: base, &tally)
            default: Issue.record("unknown fuzz target \(target)")
            }
            if (index - start) % 100 == 99 {
                Self.say("FUZZ tally \(tally)")
            }
        }
        Self.say("FUZZ done \(tally)")
    }
}
