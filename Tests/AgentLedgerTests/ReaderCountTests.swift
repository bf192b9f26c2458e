import AgentLedgerTestSupport
import Dispatch
import Foundation
import Synchronization
import Testing

@testable import AgentLedger

/// How many queries a ledger serves at once (`LedgerOptions.readerCount`).
@Suite("Reader count")
struct ReaderCountTests {
    @Test("the default leaves a core to the writer, within 2 to 4 connections")
    func defaultFollowsTheCores() {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let count = LedgerOptions().readerCount
        #expect(count == LedgerOptions.defaultReaderCount)
        #expect((2...4).contains(count))
        // No more connections than the cores the writer leaves (unless that is under 2), and
        // no fewer (up to 4): a fixed 4, or a fixed 2, fails on some machine.
        #expect(count <= max(2, cores - 1), "\(count) connections for \(cores) cores")
        #expect(count >= min(4, cores - 1), "\(count) connections for \(cores) cores")
    }

    @Test("with the default, a query runs while another holds a connection")
    func oneLongQueryDoesNotHoldUpTheRest() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let ledger = try await store.open()
        try await ledger.session("s").addItems([ItemFactory.user("hello")])
        let release = DispatchSemaphore(value: 0)
        let holding = Atomic(false)
        let long = Task {
            try await ledger.read { _ in
                holding.store(true, ordering: .releasing)
                release.wait()
            }
        }
        let started = ContinuousClock.now + .seconds(120)
        while !holding.load(ordering: .acquiring), ContinuousClock.now < started {
            try await Task.sleep(for: .milliseconds(1))
        }
        guard holding.load(ordering: .acquiring) else {
            // Not an endless wait: the long query failed (its error ends the test) or never ran.
            release.signal()
            try await long.value
            Issue.record("the long query did not start within 120 s")
            return
        }
        let answered = Atomic(0)
        let short = Task {
            answered.store(try await ledger.session("s").items().count, ordering: .releasing)
        }
        // The long query holds its connection until the short one answers, or for this long: a
        // short query that waits for the long one waits out the whole limit and fails. Long,
        // because it costs nothing when the short query answers, and a machine busy with the
        // whole suite can take more than 10 s to run it (its task and its continuation wait for
        // a thread of a cooperative pool that other tests keep busy).
        let deadline = ContinuousClock.now + .seconds(120)
        while answered.load(ordering: .acquiring) == 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        let answeredWhileHeld = answered.load(ordering: .acquiring)
        release.signal()
        try await long.value
        try await short.value
        #expect(answeredWhileHeld == 1, "the short query waited for the long one")
        try await ledger.close()
    }
}
