#if os(Linux)
import AgentLedgerTestSupport
import Dispatch
import Glibc
import Testing

@testable import AgentLedger

/// The quality of service of a ledger's queries (`LedgerOptions.queryQoS`): libdispatch on
/// Linux runs each class on threads at its own nice value (background 10, utility 2, default 0,
/// or the process's own if it is higher), so a query's thread shows which class ran it.
@Suite("Query quality of service")
struct QueryQoSTests {
    /// The nice value of the calling thread.
    private static func threadNice() -> Int32 {
        getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
    }

    /// The nice value of the thread a query of `ledger` runs on.
    private func queryNice(_ ledger: Ledger) async throws -> Int32 {
        try await ledger.read { _ in Self.threadNice() }
    }

    /// The nice value of libdispatch's own threads for `qos`.
    private func dispatchNice(_ qos: DispatchQoS) async -> Int32 {
        await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: qos.qosClass).async { continuation.resume(returning: Self.threadNice()) }
        }
    }

    @Test("by default queries run at background QoS: nice 10, or the process's own if higher")
    func defaultIsBelowTheWriter() async throws {
        let background = await dispatchNice(.background)
        #expect(background == max(10, Self.threadNice()))
        let store = try TemporaryStore()
        defer { store.remove() }
        let ledger = try await store.open()
        try await ledger.session("s").addItems([ItemFactory.user("hello")])
        #expect(try await queryNice(ledger) == background)
        // The writer thread inherits the nice value of the thread that opened the ledger (this
        // test's, medium priority): below the queries, unless the process runs at nice 10 or more.
        let writerNice = try await ledger.writer!.exclusive { _ in Self.threadNice() }
        #expect(writerNice < background || background == Self.threadNice(), "the writer at nice \(writerNice)")
        #expect(try await ledger.session("s").items().count == 1)
        try await ledger.close()

        let reader = try await store.open { $0.readOnly = true }
        #expect(try await queryNice(reader) == background, "a read-only handle's queries")
        #expect(try await reader.session("s").items().count == 1)
        try await reader.close()
    }

    @Test("queryQoS .default and .utility run queries on their classes' threads")
    func optionIsApplied() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        for qos in [DispatchQoS.default, .utility] {
            let ledger = try await store.open { $0.queryQoS = qos }
            try await ledger.session("s").addItems([ItemFactory.user("hello")])
            #expect(try await queryNice(ledger) == dispatchNice(qos))
            try await ledger.close()
        }
        #expect(await dispatchNice(.default) < dispatchNice(.background) || Self.threadNice() >= 10)
    }
}
#endif
