import Testing

@testable import AgentLedger

@Suite("Verifying a log that another process writes")
struct VerifySettleTests {
    static func result(_ problems: [String]) -> LogVerification {
        var verification = LogVerification()
        verification.problems = problems.map { LogProblem(code: .truncatedTail, message: $0, location: nil) }
        return verification
    }

    /// Runs `settledVerification` over `results`, one per read (the last repeats), and returns
    /// its answer and how many reads it made.
    static func settle(_ results: [[String]]) -> (problems: [String], reads: Int) {
        var reads = 0
        let verification = Ledger.settledVerification {
            reads += 1
            return result(results[min(reads, results.count) - 1])
        }
        return (verification.problems.map(\.message), reads)
    }

    @Test("a problem gone on the next read (a frame being appended, zeros being cut) is not reported")
    func transient() {
        let settled = Self.settle([["the last 65536 bytes are not a complete frame"], []])
        #expect(settled.problems == [] && settled.reads == 2)
    }

    @Test("a problem found twice at the same place is reported, after one more read")
    func persistent() {
        let settled = Self.settle([["damage at 40"]])
        #expect(settled.problems == ["damage at 40"] && settled.reads == 2)
    }

    @Test("a problem that moves is read again until it stays, at most five more times")
    func moving() {
        #expect(Self.settle([["tail at 10"], ["tail at 20"], ["tail at 20"]]) == (["tail at 20"], 3))
        let endless = Self.settle((0..<20).map { ["tail at \($0)"] })
        #expect(endless.reads == 1 + Ledger.verificationRereads && endless.problems == ["tail at 5"])
    }

    @Test("a clean log is read once")
    func clean() {
        #expect(Self.settle([[]]) == ([], 1))
    }
}
