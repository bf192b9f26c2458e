import AgentLedger
import AgentLedgerTestSupport
import Foundation
import Testing

/// `LedgerOptions.lockWait`: an open waits for another opener's writer lock (a writer closing,
/// a command-line reader catching up the read model) instead of failing at once.
@Suite("Opening waits for the writer lock")
struct LockWaitTests {
    /// Waits until `capture` has logged that an open waits for the lock; false after 60 s.
    private func waitingLogged(_ capture: ReliabilityLogCapture) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if capture.messages.contains(where: { $0.hasPrefix("info: waiting for the store's writer lock") }) {
                return true
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    /// Starts an open of `store` with `lockWait` in a task, and returns it once that open is
    /// inside its wait for the lock that `holder` keeps (it logged so).
    private func openWaiting(_ store: TemporaryStore, lockWait: Duration) async throws -> Task<Ledger, any Error> {
        let capture = ReliabilityLogCapture()
        let waiting = Task {
            try await store.open {
                $0.lockWait = lockWait
                $0.logger = capture.logger
            }
        }
        #expect(try await waitingLogged(capture), "\(capture.messages)")
        return waiting
    }

    @Test("an open that finds the lock held waits, and opens once the holder closes, seeing what it wrote")
    func opensOnceTheHolderCloses() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let holder = try await store.open()
        try await holder.session("s").addItems([ItemFactory.user("from the holder")])
        // The second open is inside its wait before the holder lets go.
        let waiting = try await openWaiting(store, lockWait: .seconds(120))
        try await holder.close()
        let ledger = try await waiting.value
        try await ledger.session("s").addItems([ItemFactory.user("from the waiter")])
        #expect(
            try await ledger.session("s").items().map(\.json) == [
                ItemFactory.user("from the holder").json, ItemFactory.user("from the waiter").json,
            ]
        )
        try await ledger.close()
    }

    @Test("cancelling the task of an open that waits for the lock ends the wait with cancelled")
    func cancelledWhileWaiting() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let holder = try await store.open()
        let waiting = try await openWaiting(store, lockWait: .seconds(600))
        waiting.cancel()
        let error = try await #require(throws: LedgerError.self) { try await waiting.value }
        #expect(error.code == .cancelled, "\(error)")
        #expect(error.message.contains("cancelled while it waited for the writer lock"), "\(error.message)")
        // The holder was never disturbed.
        try await holder.session("s").addItems([ItemFactory.user("still writing")])
        try await holder.close()
    }

    @Test("zero refuses at once; a holder that stays past lockWait is refused saying how long; negative is refused")
    func refusals() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let holder = try await store.open()
        let capture = ReliabilityLogCapture()
        let atOnce = try await #require(throws: LedgerError.self) {
            try await store.open {
                $0.lockWait = .zero
                $0.logger = capture.logger
            }
        }
        #expect(atOnce.code == .storeLocked)
        #expect(atOnce.message.contains("locked by another Ledger of this process (pid \(getpid()))"))
        #expect(!atOnce.message.contains("waited"))
        #expect(capture.messages.isEmpty, "no wait was logged: \(capture.messages)")

        let started = ContinuousClock.now
        let afterWaiting = try await #require(throws: LedgerError.self) {
            try await store.open {
                $0.lockWait = .seconds(1)
                $0.logger = capture.logger
            }
        }
        #expect(ContinuousClock.now - started >= .seconds(1))
        #expect(afterWaiting.code == .storeLocked)
        #expect(afterWaiting.message.hasSuffix(" (waited 1000 ms: LedgerOptions.lockWait)"), "\(afterWaiting.message)")
        #expect((afterWaiting.underlying as? LedgerError)?.message == atOnce.message)

        let negative = try await #require(throws: LedgerError.self) {
            try await store.open { $0.lockWait = .milliseconds(-1) }
        }
        #expect(negative.code == .invalidArgument)
        #expect(negative.message.contains("lockWait"))
        // The holder was never disturbed.
        try await holder.session("s").addItems([ItemFactory.user("still writing")])
        try await holder.close()
    }
}
