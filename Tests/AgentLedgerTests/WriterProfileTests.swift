import AgentLedgerTestSupport
import Testing

@testable import AgentLedger

/// ``Ledger/writerProfile()``: the writer's group commits timed by phase, on request only.
@Suite("Writer profile")
struct WriterProfileTests {
    @Test("without the option there is no profile")
    func offByDefault() async throws {
        try await withLedger { ledger in
            try await ledger.session("s").addItems([ItemFactory.user("one")])
            #expect(try await ledger.writerProfile() == nil)
        }
    }

    @Test("every group commit that writes is counted with its events, on both paths, with each phase timed")
    func countsAndPhases() async throws {
        try await withLedger(LedgerOptions(durability: .fsync, profilesWriter: true)) { ledger in
            let session = ledger.session("s")
            // Two adds (the overlapped path) and a pop (the serial path), one event each.
            try await session.addItems([ItemFactory.user("one"), ItemFactory.assistant("a")])
            try await session.addItems([ItemFactory.user("two")])
            _ = try await session.popItem()
            // Writes nothing: not a group commit that counts.
            #expect(try await ledger.session("empty").popItem() == nil)
            let profile = try #require(try await ledger.writerProfile())
            #expect(profile.commits == 3)
            #expect(profile.events == 3)
            #expect(profile.eventsPerCommit == 1)
            // The writer may index these items for search between two commits (when it waits
            // long enough for the next one), so `maintenance` may or may not have time.
            for phase in WriterProfile.Phase.allCases where phase != .maintenance {
                #expect((profile.wallNanoseconds[phase] ?? 0) > 0, "no wall time for \(phase)")
                #expect(profile.wallMicrosecondsPerCommit(phase) > 0)
            }
            #expect((profile.cpuNanoseconds[.apply] ?? 0) > 0)
        }
    }

    @Test("without fsync every batch takes the serial path, which derives while it applies")
    func serialPath() async throws {
        try await withLedger(LedgerOptions(durability: .none, profilesWriter: true)) { ledger in
            let session = ledger.session("s")
            for text in ["one", "two", "three"] {
                try await session.addItems([ItemFactory.user(text)])
            }
            let profile = try #require(try await ledger.writerProfile())
            #expect(profile.commits == 3 && profile.events == 3)
            #expect(profile.wallNanoseconds[.derive] == nil)
            for phase in WriterProfile.Phase.allCases where phase != .derive && phase != .maintenance {
                #expect((profile.wallNanoseconds[phase] ?? 0) > 0, "no wall time for \(phase)")
            }
        }
    }

    @Test("the work between group commits (a WAL checkpoint, an indexing step) is timed as maintenance")
    func maintenance() async throws {
        try await withLedger(LedgerOptions(durability: .none, profilesWriter: true)) { ledger in
            let session = ledger.session("s")
            // Five items of 1 MiB put more than WALCheckpointer.pageThreshold pages of 4 KiB in
            // the read model's WAL, so the writer checkpoints after one of their commits (and
            // may index them for search while the next one is on its way).
            let large = String(repeating: "x", count: 1 << 20)
            for _ in 0..<5 {
                try await session.addItems([ItemFactory.user(large)])
            }
            // The profile is published with each group commit: this one shows the checkpoint.
            try await session.addItems([ItemFactory.user("after")])
            let profile = try #require(try await ledger.writerProfile())
            #expect(profile.commits == 6)
            #expect((profile.wallNanoseconds[.maintenance] ?? 0) > 0)
        }
    }

    @Test("a closed ledger refuses; a read-only one has no writer to profile")
    func closedAndReadOnly() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let ledger = try await Ledger.open(
            at: store.path,
            options: LedgerOptions(durability: .none, profilesWriter: true)
        )
        try await ledger.session("s").addItems([ItemFactory.user("one")])
        let reader = try await Ledger.open(at: store.path, options: LedgerOptions(readOnly: true, profilesWriter: true))
        #expect(try await reader.writerProfile() == nil)
        try await reader.close()
        try await ledger.close()
        await #expect(throws: LedgerError.self) { try await ledger.writerProfile() }
    }
}
