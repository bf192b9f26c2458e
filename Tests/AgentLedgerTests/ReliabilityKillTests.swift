import AgentLedgerTestSupport
import Testing

@Suite("Reliability: kill -9 while appending durably", .timeLimit(.minutes(10)))
struct ReliabilityKillTests {
    @Test(
        "SIGKILL at 50 seeded random moments: every acknowledged event is there exactly once, sequences are contiguous, the hash chain verifies and the read model equals a rebuild"
    )
    func killNine() async throws {
        let runs = ReliabilityHelpers.environmentInt("AGENTLEDGER_KILL_RUNS", default: 50)
        let figures = try await ReliabilityKillRunner(runs: runs, seed: 0x6B11_0009).run()
        print("RELIABILITY kill -9: \(figures)")
        #expect(figures.kills == runs)
        #expect(figures.acknowledgedCalls > runs)
    }
}
