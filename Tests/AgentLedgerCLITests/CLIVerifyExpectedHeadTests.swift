import AgentLedgerTestSupport
import Foundation
import Testing

/// What `verify --expect-head` says when the recorded head is not found: a head past the end of
/// the log was not rewritten, the log no longer reaches it (lost events, or another store's head).
@Suite("CLI verify --expect-head")
struct CLIVerifyExpectedHeadTests {
    @Test("a recorded head past the end of the log is reported as not reached, not as rewritten history")
    func headPastTheEnd() async throws {
        let store = try CLIStore()
        for number in 1...3 {
            try await store.ok("add", "s", input: #"{"role":"user","content":"message \#(number)"}"#)
        }
        let output = try await store.ok("verify")
        let head = try #require(output.split(separator: "\n").first { $0.hasPrefix("head 3:") }?.dropFirst(7))

        // The head an auditor recorded after a fourth event, which this log no longer holds.
        let past = try await store.run("verify", "--expect-head", "4:" + head)
        #expect(past.status == 1)
        #expect(past.standardOutput.contains("no frame ends at sequence 4 (the log ends at 3)"))
        #expect(
            past.standardOutput.contains("NOT found: the log ends at sequence 3, before it"),
            "\(past.standardOutput)"
        )
        #expect(!past.standardOutput.contains("history up to it was changed"))
        #expect(past.standardOutput.hasSuffix("FAILED\n"))

        // A head within the log with another hash: that history was changed.
        let changed = try await store.run("verify", "--expect-head", "2:" + head)
        #expect(changed.status == 1)
        #expect(changed.standardOutput.contains("NOT found: history up to it was changed"))

        // Sequence 0 with a hash other than zeros: no frame ends there, and no log has that head.
        let impossible = try await store.run("verify", "--expect-head", "0:" + head)
        #expect(impossible.status == 1)
        #expect(
            impossible.standardOutput.contains("the head at sequence 0 is the empty log's, whose hash is all zeros"),
            "\(impossible.standardOutput)"
        )
        #expect(impossible.standardOutput.contains("NOT found: no log has that head"), "\(impossible.standardOutput)")
        #expect(!impossible.standardOutput.contains("history up to it was changed"))
        // The empty log's own head is found in every log.
        let empty = try await store.run("verify", "--expect-head", "0:" + String(repeating: "0", count: 64))
        #expect(empty.status == 0, "\(empty.standardOutput)")
    }
}
