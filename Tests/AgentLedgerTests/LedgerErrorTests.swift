import AgentLedger
import AgentLedgerTestSupport
import Foundation
import Testing

@Suite("Errors")
struct LedgerErrorTests {
    @Test("localizedDescription, as applications show errors, carries the code and the message")
    func localizedDescription() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let ledger = try await store.open()
        try await ledger.close()
        do {
            try await ledger.session("s").addItems([ItemFactory.user("late")])
            Issue.record("an add after close succeeded")
        } catch {
            // Not Foundation's "The operation could not be completed. (AgentLedger.LedgerError error 1.)".
            #expect(error.localizedDescription == "closed: the ledger at \(ledger.directory) is closed")
        }
        let located = LedgerError(
            .corruptLog,
            "bad frame",
            location: LogLocation(segment: "00000000000000000001.seg", offset: 64, sequence: 3)
        )
        #expect((located as any Error).localizedDescription == located.description)
    }
}
