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
        #expect(count == 2 || count == cores - 1 || count == 4)
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
        while !holding.load(ordering: .acquiring) {
            try await Task.sleep(for: .milliseconds(1))
        }
        let answered = Atomic(0)
        let short = Task {
            answered.store(try await ledger.session("s").items().count, ordering: .releasing)
        }
        let deadline = ContinuousClock.now + .seconds(10)
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
