import AgentLedgerTestSupport
import Testing

@Suite("CLI numeric options: a negative value is read as a value and refused for what it is")
struct CLINegativeNumberTests {
    /// Arguments, the exit status, and what the message must say. ArgumentParser takes `-5`
    /// after an option for another option unless the option parses its value unconditionally,
    /// and then says only "Missing value".
    static let cases: [([String], Int32, String)] = [
        (
            [
                "usage", "record", "s", "--requests", "-1", "--input-tokens", "1", "--output-tokens", "1",
                "--total-tokens", "2",
            ], 64, "--requests must be 0 or more, not -1"
        ),
        (["branch", "create", "s", "--from-turn", "-1"], 64, "--from-turn must be 1 or more, not -1"),
        (["items", "s", "--as-of-seq", "-5"], 64, "The value '-5' is invalid for '--as-of-seq"),
        (["checkout", "--as-of-seq", "-5", "--into", "/nonexistent/x"], 64, "The value '-5' is invalid"),
        (["log", "--from-seq", "-3"], 64, "The value '-3' is invalid for '--from-seq"),
        (["log", "--to-seq", "-3"], 64, "The value '-3' is invalid for '--to-seq"),
        (["items", "s", "--lock-wait", "-5"], 64, "--lock-wait must be 0 or more, not -5"),
        (["usage", "show", "s", "--turn", "-5"], 64, "--turn must be 1 or more, not -5"),
        (["bench", "--duration", "-1"], 64, "--duration must be more than 0 and at most 86400 seconds, not -1.0"),
        (["bench", "--items", "-5"], 64, "--items must be at least 1, not -5"),
    ]

    @Test("each numeric option", arguments: cases)
    func negative(arguments: [String], status: Int32, message: String) async throws {
        let store = try CLIStore()
        try await store.ok("add", "s", input: #"{"role":"user","content":"q"}"#)
        let result = try await store.run(arguments)
        #expect(result.status == status, "\(arguments): \(result.standardError)")
        #expect(result.standardError.contains(message), "\(arguments): \(result.standardError)")
        #expect(!result.standardError.contains("Missing value"), "\(arguments): \(result.standardError)")
    }
}
