#if os(Linux)
import AgentLedgerTestSupport
import Dispatch
import Glibc
import Testing

@testable import AgentLedger

/// The quality of service of a ledger's queries (`LedgerOptions.queryQoS`): libdispatch on
/// Linux runs each class on threads at its own nice value, so a query's thread shows it.
@Suite("Query quality of service")
struct QueryQoSTests {
    /// The nice value of the thread a query of `ledger` runs on.
    private func queryNice(_ ledger: Ledger) async throws -> Int32 {
        try await ledger.read { _ in getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) }
    }

    @Test("by default queries run at nice 10, below the writer thread (nice 0)")
    func defaultIsBelowTheWriter() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let ledger = try await store.open()
        try await ledger.session("s").addItems([ItemFactory.user("hello")])
        #expect(try await queryNice(ledger) == 10)
        #expect(try await ledger.session("s").items().count == 1)
        try await ledger.close()

        let reader = try await store.open { $0.readOnly = true }
        #expect(try await queryNice(reader) == 10, "a read-only handle's queries")
        #expect(try await reader.session("s").items().count == 1)
        try await reader.close()
    }

    @Test("queryQoS .default runs queries at nice 0, .utility at 2")
    func optionIsApplied() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        for (qos, nice) in [(DispatchQoS.default, Int32(0)), (.utility, 2)] {
            let ledger = try await store.open { $0.queryQoS = qos }
            try await ledger.session("s").addItems([ItemFactory.user("hello")])
            #expect(try await queryNice(ledger) == nice)
            try await ledger.close()
        }
    }
}
#endif
