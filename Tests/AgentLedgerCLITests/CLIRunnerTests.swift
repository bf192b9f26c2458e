import AgentLedgerTestSupport
import Foundation
import Testing

@Suite("CLIRunner: no child outlives its handle")
struct CLIRunnerTests {
    @Test("a running child whose handle is dropped without wait() is killed")
    func droppedHandleKillsChild() async throws {
        let store = try CLIStore()
        try await store.ok("add", "chat", input: #"{"role":"user","content":"hello"}"#)
        var following: CLIRunner.Running? = try store.runner.start(["log", "--follow", "--store", store.path])
        let pid = try #require(following?.processID)
        #expect(try await following?.waitForOutput(containing: "items_added") == true)
        following = nil
        // The runner's waiting thread reaps the child, after which its pid is gone.
        let deadline = Date().addingTimeInterval(10)
        while kill(pid, 0) == 0 && Date() < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(kill(pid, 0) == -1 && errno == ESRCH, "process \(pid) still runs after its handle was dropped")
    }
}
