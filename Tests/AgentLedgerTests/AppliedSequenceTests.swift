import Synchronization
import Testing

@testable import AgentLedger

/// The gate between the writer's acknowledgement of a group commit and its SQLite COMMIT.
@Suite("Applied sequence")
struct AppliedSequenceTests {
    /// Returns once a reader waits on `applied`, however late the pool runs its task.
    static func waitForWaiters(_ applied: AppliedSequence) async {
        while !applied.hasWaiters {
            try? await Task.sleep(for: .milliseconds(1))
        }
    }

    @Test("a wait for an applied sequence returns at once; a later one waits for its publication")
    func waitsForPublication() async throws {
        let applied = AppliedSequence(10)
        try await applied.wait(for: 10)
        final class Flag: Sendable {
            let done = Atomic(false)
            var isDone: Bool { done.load(ordering: .acquiring) }
        }
        let flag = Flag()
        let waiting = Task {
            try await applied.wait(for: 12)
            flag.done.store(true, ordering: .releasing)
        }
        // Publish only once the reader waits: a task the pool starts late would come to wait
        // after the publication, and the test would check nothing.
        await Self.waitForWaiters(applied)
        applied.publish(11)
        try await Task.sleep(for: .milliseconds(20))
        #expect(applied.value == 11)
        #expect(applied.hasWaiters, "the reader waiting for 12 was released by 11")
        #expect(!flag.isDone, "returned before its sequence was applied")
        applied.publish(12)
        try await waiting.value
        #expect(flag.isDone)
        #expect(applied.value == 12)
    }

    @Test("a failure resumes the waiting readers with it; what was applied before stays readable")
    func failureResumesWaiters() async throws {
        let applied = AppliedSequence(5)
        let waiting = (0..<3).map { _ in Task { try await applied.wait(for: 6) } }
        // At least one reader waits when the failure comes (the others may come after it, and
        // get it too): a failure that resumed no waiting reader would hang the test.
        await Self.waitForWaiters(applied)
        applied.fail(LedgerError(.writerFailed, "commit failed"))
        for task in waiting {
            await #expect(throws: LedgerError.self) { try await task.value }
        }
        await #expect(throws: LedgerError.self) { try await applied.wait(for: 7) }
        try await applied.wait(for: 5)
    }
}
