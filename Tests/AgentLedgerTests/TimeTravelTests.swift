import AgentLedger
import AgentLedgerTestSupport
import Foundation
import Synchronization
import Testing

/// Time travel (issue 5): every read `asOf` a position answers exactly what the same read
/// answered right after that event, by sequence number and by instant; a checkout through N is
/// a store whose current state is the source's state as of N.
@Suite("Time travel")
struct TimeTravelTests {
    /// A clock the test sets: the writer stamps each event with the value it holds then.
    final class ManualClock: Sendable {
        private let micros: Mutex<Int64>

        init(_ start: Int64) {
            micros = Mutex(start)
        }

        func set(_ value: Int64) {
            micros.withLock { $0 = value }
        }

        func now() -> Int64 {
            micros.withLock { $0 }
        }
    }

    /// One step of the scripted history: a label and what it does.
    typealias Step = (label: String, run: @Sendable (Ledger) async throws -> Void)

    /// The sessions of the script.
    static let sessions = ["a", "b"]
    /// Branch names the script reads explicitly at every position (some deleted, one never made).
    static let branches = ["main", "alt", "gone", "alt2", "never"]

    static let webSearch = ItemFactory.item(["type": "web_search_call", "id": "ws_1", "status": "completed"])
    static let mcpCall = ItemFactory.item(["type": "mcp_call", "server_label": "files", "name": "read"])
    static let toolSearchCall = ItemFactory.item(["type": "tool_search_call", "id": "ts_1"])
    static let toolSearchOutput = ItemFactory.item(["type": "tool_search_output", "id": "ts_1"])

    /// Adds, pops, clears, branches, switches, deletes and usage across two interleaved sessions.
    /// Two steps write nothing (a pop of an empty session, usage without a user turn).
    static let script: [Step] = [
        (
            "a: add turn 1 with a tool call",
            { ledger in
                try await ledger.session("a").addItems([
                    ItemFactory.user("q1 what is the weather?"), ItemFactory.assistant("a1"),
                    ItemFactory.functionCall("get_weather"), ItemFactory.functionOutput("sunny"),
                ])
            }
        ),
        ("b: add", { try await $0.session("b").addItems([ItemFactory.user("hi from b")]) }),
        (
            "a: usage of turn 1",
            {
                try await $0.session("a").recordUsage(
                    RunUsage(requests: 1, inputTokens: 10, outputTokens: 5, totalTokens: 15, detailsJSON: #"{"c":1}"#)
                )
            }
        ),
        (
            "a: add turn 2 (a long question)",
            {
                try await $0.session("a").addItems([
                    ItemFactory.user("q2 " + String(repeating: "long question ", count: 12)),
                    ItemFactory.assistant("a2"),
                ])
            }
        ),
        ("a: usage of turn 2", { try await $0.session("a").recordUsage(RunUsage(requests: 2, totalTokens: 30)) }),
        ("a: branch alt from turn 2", { try await $0.session("a").createBranch(fromTurn: 2, named: "alt") }),
        (
            "a: add on alt",
            { try await $0.session("a").addItems([ItemFactory.user("q2 on alt"), TimeTravelTests.webSearch]) }
        ),
        ("a: usage on alt", { try await $0.session("a").recordUsage(RunUsage(requests: 1, totalTokens: 7)) }),
        ("a: pop on alt", { _ = try await $0.session("a").popItem() }),
        ("a: switch to main", { try await $0.session("a").switchToBranch("main") }),
        ("a: empty branch gone from turn 1", { try await $0.session("a").createBranch(fromTurn: 1, named: "gone") }),
        ("a: add on gone", { try await $0.session("a").addItems([ItemFactory.user("q on gone")]) }),
        ("a: force-delete gone", { try await $0.session("a").deleteBranch("gone", force: true) }),
        ("b: pop", { _ = try await $0.session("b").popItem() }),
        ("b: pop of an empty session (no event)", { _ = try await $0.session("b").popItem() }),
        ("a: switch to alt", { try await $0.session("a").switchToBranch("alt") }),
        ("a: pop the user item of turn 2 on alt", { _ = try await $0.session("a").popItem() }),
        ("a: usage of turn 1 on alt", { try await $0.session("a").recordUsage(RunUsage(requests: 3, totalTokens: 3)) }),
        ("a: clear", { try await $0.session("a").clearSession() }),
        (
            "a: add after clear",
            { try await $0.session("a").addItems([ItemFactory.user("after clear q"), TimeTravelTests.mcpCall]) }
        ),
        (
            "a: branch alt2 from the turn containing AFTER",
            { try await $0.session("a").createBranch(fromTurnContaining: "AFTER", named: "alt2") }
        ),
        (
            "a: add a tool search output on alt2",
            { try await $0.session("a").addItems([TimeTravelTests.toolSearchOutput]) }
        ),
        (
            "a: usage without a user turn (no event)",
            { try await $0.session("a").recordUsage(RunUsage(requests: 9)) }
        ),
        (
            "b: add a tool search",
            {
                try await $0.session("b").addItems([
                    ItemFactory.user("b again q"), TimeTravelTests.toolSearchCall, TimeTravelTests.toolSearchOutput,
                ])
            }
        ),
        ("b: usage", { try await $0.session("b").recordUsage(RunUsage(requests: 1, inputTokens: 4, totalTokens: 4)) }),
        ("a: switch to main", { try await $0.session("a").switchToBranch("main") }),
        ("a: add turn 2 on main", { try await $0.session("a").addItems([ItemFactory.user("q final")]) }),
        ("a: unnamed branch from turn 2", { try await $0.session("a").createBranch(fromTurn: 2) }),
    ]

    /// The number of events the script writes.
    static let scriptEventCount: UInt64 = 26

    /// Every read of every script session, by sequence number, as read right after each event
    /// (and at 0, before any). `beforeStep` runs before each step (to set a clock).
    static func playScript(
        on ledger: Ledger,
        beforeStep: (Int) -> Void = { _ in }
    ) async throws -> [UInt64: [String: [String: AnyHashable]]] {
        var recorded: [UInt64: [String: [String: AnyHashable]]] = [:]
        func readAll() async throws -> [String: [String: AnyHashable]] {
            var reads: [String: [String: AnyHashable]] = [:]
            for id in sessions {
                reads[id] = try await everyRead(of: ledger.session(id), branches: branches)
            }
            return reads
        }
        recorded[0] = try await readAll()
        var head: UInt64 = 0
        for (index, step) in script.enumerated() {
            beforeStep(index)
            try await step.run(ledger)
            let now = try await ledger.headSequence()
            #expect(now == head || now == head + 1, "step \(index) (\(step.label)) wrote \(now - head) events")
            if now != head {
                head = now
                recorded[head] = try await readAll()
            } else {
                // A step that writes nothing changes no answer.
                let reads = try await readAll()
                for id in sessions {
                    expectSameReads(reads[id]!, recorded[head]![id]!, "no-op step \(index) (\(step.label)), \(id)")
                }
            }
        }
        #expect(head == scriptEventCount)
        return recorded
    }

    @Test("as of every sequence number, every read answers what it answered right after that event")
    func asOfEverySequence() async throws {
        try await withLedger { ledger in
            let recorded = try await Self.playScript(on: ledger)
            let head = try await ledger.headSequence()
            for sequence in 0...head {
                for id in Self.sessions {
                    let reads = try await everyRead(
                        of: ledger.session(id),
                        asOf: .sequence(sequence),
                        branches: Self.branches
                    )
                    expectSameReads(reads, recorded[sequence]![id]!, "session \(id) as of sequence \(sequence)")
                }
            }
            // Past the head: the current state; the current state is the head's.
            for sequence in [head + 1, head + 1000, UInt64(Int64.max), UInt64.max] {
                for id in Self.sessions {
                    let reads = try await everyRead(
                        of: ledger.session(id),
                        asOf: .sequence(sequence),
                        branches: Self.branches
                    )
                    expectSameReads(reads, recorded[head]![id]!, "session \(id) as of sequence \(sequence) > head")
                    let now = try await everyRead(of: ledger.session(id), branches: Self.branches)
                    expectSameReads(now, recorded[head]![id]!, "session \(id) now")
                }
            }
        }
    }

    @Test(
        "a read-only handle asked as of a sequence number the writer just acknowledged answers with it, every time"
    )
    func readOnlyReachesAcknowledged() async throws {
        let store = try TemporaryStore(prefix: "time-travel-reaching")
        defer { store.remove() }
        // fsync: the writer acknowledges adds before their COMMIT, so another handle's read
        // model can lag an acknowledged sequence number for a moment.
        let writer = try await store.open(durability: .fsync)
        let session = writer.session("s")
        try await session.addItems([ItemFactory.user("first")])
        // A wait far longer than a COMMIT takes even on a loaded machine: a miss is a bug.
        let reader = try await Ledger.open(
            at: store.path,
            options: LedgerOptions(readOnly: true, readOnlyAsOfWait: .seconds(5))
        )
        var misses: [String] = []
        for call in 0..<300 {
            let item = ItemFactory.user("call \(call)")
            let sequence = try #require(try await session.append([item]))
            let seen = try await reader.session("s").items(limit: 1, asOf: .sequence(sequence))
            if seen != [item] {
                misses.append("call \(call) as of \(sequence): \(seen)")
            }
        }
        #expect(misses.isEmpty, "\(misses.count) of 300 reads missed the acknowledged item: \(misses.prefix(3))")
        // Past the head: the current state, after the wait (the default, 20 ms).
        let impatient = try await Ledger.open(at: store.path, options: LedgerOptions(readOnly: true))
        let started = ContinuousClock.now
        let future = try await impatient.session("s").items(limit: 1, asOf: .sequence(1_000_000))
        let waited = ContinuousClock.now - started
        #expect(future == [ItemFactory.user("call 299")])
        #expect(LedgerOptions().readOnlyAsOfWait == .milliseconds(20))
        // At least the wait; at most well under what a wait in the wrong unit (20 s) or for a
        // sequence that never comes would take. No tighter bound: on a machine busy with the
        // whole suite, the cooperative pool can wake the waiting task seconds late.
        #expect(waited >= .milliseconds(20) && waited < .seconds(15), "\(waited)")
        try await impatient.close()
        try await reader.close()
        try await writer.close()
    }

    @Test("sequence 0 gives the empty state, with every branch read empty")
    func sequenceZeroIsEmpty() async throws {
        try await withLedger { ledger in
            _ = try await Self.playScript(on: ledger)
            let session = ledger.session("a")
            #expect(try await session.items(asOf: .sequence(0)) == [])
            #expect(try await session.items(branch: "main", asOf: .sequence(0)) == [])
            #expect(try await session.listBranches(asOf: .sequence(0)) == [])
            #expect(try await session.currentBranch(asOf: .sequence(0)) == "main")
            #expect(try await session.conversationTurns(asOf: .sequence(0)) == [])
            #expect(try await session.toolUsage(asOf: .sequence(0)) == [])
            #expect(try await session.sessionUsage(asOf: .sequence(0)) == nil)
            // And the empty state is also what a session read before its first event shows.
            #expect(try await ledger.session("b").items(asOf: .sequence(1)) == [])
            #expect(try await ledger.session("b").listBranches(asOf: .sequence(1)) == [])
        }
    }

    @Test("a date beyond 64 bits of microseconds reads the first or latest state; NaN is refused, nothing traps")
    func outOfRangeDates() async throws {
        try await withLedger { ledger in
            _ = try await Self.playScript(on: ledger)
            let session = ledger.session("a")
            let now = try await session.items()
            for far in [1e15, Double.infinity] {
                #expect(try await session.items(asOf: .date(Date(timeIntervalSince1970: far))) == now)
            }
            for early in [-1e15, -Double.infinity] {
                #expect(try await session.items(asOf: .date(Date(timeIntervalSince1970: early))) == [])
            }
            let invalid = try await #require(throws: LedgerError.self) {
                try await session.items(asOf: .date(Date(timeIntervalSince1970: .nan)))
            }
            #expect(invalid.code == .invalidArgument)
            var filter = EventFilter()
            filter.until = Date(timeIntervalSince1970: 1e15)
            var count = 0
            for try await _ in try ledger.events(filter) {
                count += 1
            }
            #expect(count == Int(try await ledger.headSequence()))
            filter.until = Date(timeIntervalSince1970: .nan)
            #expect(throws: LedgerError.self) { _ = try ledger.events(filter) }
        }
    }

    @Test("as of an instant: the state after the last event at or before it; before the first event, empty")
    func asOfDate() async throws {
        let base: Int64 = 1_767_225_600_250_000  // 2026-01-01T00:00:00.25Z
        let clock = ManualClock(base)
        var options = LedgerOptions(durability: .none)
        options.clock = { clock.now() }
        try await withLedger(options) { ledger in
            // One second between steps, except: steps 4 and 5 share an instant, and the clock
            // goes back one second at step 9 (the writer keeps timestamps non-decreasing).
            let recorded = try await Self.playScript(on: ledger) { step in
                var offset = Int64(step)
                if step == 5 {
                    offset = 4
                } else if step == 9 {
                    offset = 7
                }
                clock.set(base + offset * 1_000_000)
            }
            let events = try await collect(ledger.events())
            #expect(events.count == Int(Self.scriptEventCount))
            let times = events.map(\.timestampMicros)
            #expect(times == times.sorted(), "event times are non-decreasing")
            #expect(Set(times).count < times.count, "two events share an instant")

            func date(_ micros: Int64) -> Date {
                Date(timeIntervalSince1970: Double(micros) / 1_000_000)
            }
            func lastSequence(atOrBefore micros: Int64) -> UInt64 {
                events.last { $0.timestampMicros <= micros }?.sequence ?? 0
            }
            var instants: [(String, Int64)] = []
            for time in Set(times).sorted() {
                instants += [("an event's instant", time), ("half a second later", time + 500_000)]
                instants.append(("one microsecond before an event", time - 1))
            }
            instants += [("before the first event", base - 3_600_000_000), ("long after", base + 86_400_000_000)]
            for (label, micros) in instants {
                let expected = recorded[lastSequence(atOrBefore: micros)]!
                for id in Self.sessions {
                    let reads = try await everyRead(
                        of: ledger.session(id),
                        asOf: .date(date(micros)),
                        branches: Self.branches
                    )
                    expectSameReads(reads, expected[id]!, "session \(id) as of \(label) (\(micros) µs)")
                }
            }
            for (label, instant) in [("distant past", Date.distantPast), ("distant future", Date.distantFuture)] {
                let expected = recorded[instant == .distantPast ? 0 : Self.scriptEventCount]!
                for id in Self.sessions {
                    let reads = try await everyRead(
                        of: ledger.session(id),
                        asOf: .date(instant),
                        branches: Self.branches
                    )
                    expectSameReads(reads, expected[id]!, "session \(id) as of the \(label)")
                }
            }
        }
    }

    @Test("a clock that went back between two opens: times stay non-decreasing, and the latest instant reads now")
    func clockBackAcrossReopen() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let later: Int64 = 2_000_000_000_000_000  // 2033
        var ledger = try await store.open { $0.clock = { later } }
        try await ledger.session("s").addItems([ItemFactory.user("one")])
        try await ledger.close()
        // The machine's clock was wrong, or was set back (a restored VM), before the next open.
        let capture = ReliabilityLogCapture()
        ledger = try await store.open {
            $0.clock = { later - 100_000_000_000_000 }
            $0.logger = capture.logger
        }
        #expect(capture.messages.contains { $0.contains("the clock is behind the log's last event") })
        try await ledger.session("s").addItems([ItemFactory.user("two")])
        let times = try await collect(ledger.events()).map(\.timestampMicros)
        #expect(times == [later, later])
        let afterBoth = Date(timeIntervalSince1970: Double(later) / 1_000_000 + 100)
        #expect(try await ledger.session("s").items(asOf: .date(afterBoth)).count == 2)
        try await ledger.close()
        // Any injected clock, the lowest included, opens without a trap and stamps no earlier.
        ledger = try await store.open { $0.clock = { Int64.min } }
        try await ledger.session("s").addItems([ItemFactory.user("three")])
        #expect(try await collect(ledger.events()).map(\.timestampMicros) == [later, later, later])
        try await ledger.close()
    }

    @Test("as of the date an event reports (event.date, turn timestamps) includes that event")
    func asOfAnEventsOwnDate() async throws {
        // 2041-01-01T00:00:00.123459Z: Double(micros) / 1e6 does not convert back to the same
        // microsecond by truncation (it gives ...458), so a read as of the event's own date
        // must not truncate.
        let instant: Int64 = 2_240_611_200_123_459
        try await withLedger(LedgerOptions(durability: .none, clock: { instant })) { ledger in
            let session = ledger.session("s")
            let item = ItemFactory.user("q at an awkward instant")
            try await session.addItems([item])
            let event = try #require(try await collect(ledger.events()).first)
            #expect(event.timestampMicros == instant)
            #expect(try await session.items(asOf: .date(event.date)) == [item])
            let turn = try #require(try await session.conversationTurns().first)
            #expect(try await session.conversationTurns(asOf: .date(turn.timestamp)).count == 1)
            let branch = try #require(try await session.listBranches().first)
            #expect(try await session.listBranches(asOf: .date(branch.createdAt)).count == 1)
            #expect(try await collect(ledger.events(EventFilter(since: event.date))).count == 1)
            #expect(try await collect(ledger.events(EventFilter(until: event.date))).count == 1)
        }
    }

    @Test("checkout through N is an independent store whose current state is the source's as of N")
    func checkout() async throws {
        let source = try TemporaryStore()
        defer { source.remove() }
        let target = try TemporaryDirectory(prefix: "agentledger-checkout")
        defer { target.remove() }
        let ledger = try await source.open()
        let recorded = try await Self.playScript(on: ledger)
        let head = try await ledger.headSequence()
        let sourceEvents = try await collect(ledger.events())

        // The source stays open for writing while it is checked out.
        for through in [0, 1, 7, 18, 19, head, head + 50] {
            let destination = target.path + "/through-\(through)"
            let last = try await Ledger.checkout(from: source.path, through: through, into: destination)
            #expect(last == min(through, head))
            let copy = try await Ledger.open(at: destination, options: LedgerOptions(durability: .none))
            #expect(try await copy.headSequence() == last)
            #expect(try await collect(copy.events()) == Array(sourceEvents.prefix(Int(last))))
            for id in Self.sessions {
                let reads = try await everyRead(of: copy.session(id), branches: Self.branches)
                expectSameReads(reads, recorded[last]![id]!, "checkout through \(through), session \(id)")
            }
            #expect(try await copy.verifyReadModel() == [])
            if through == 7 {
                // Independent: writing to the copy changes nothing in the source, and vice versa.
                try await copy.session("a").addItems([ItemFactory.user("only in the copy")])
                #expect(try await copy.headSequence() == 8)
                #expect(try await ledger.headSequence() == head)
                #expect(try await ledger.session("a").items() == (recorded[head]!["a"]!["items"] as? [SessionItem]))
            }
            try await copy.close()
        }

        // A checkout of the checkout is the same store again.
        let again = target.path + "/again"
        #expect(try await Ledger.checkout(from: target.path + "/through-18", through: 100, into: again) == 18)
        let copy = try await Ledger.open(at: again, options: LedgerOptions(durability: .none))
        #expect(try await collect(copy.events()) == Array(sourceEvents.prefix(18)))
        try await copy.close()

        // A directory that already holds a store is refused.
        let occupied = target.path + "/through-1"
        let error = try await #require(throws: LedgerError.self) {
            try await Ledger.checkout(from: source.path, through: 1, into: occupied)
        }
        #expect(error.code == .invalidArgument)
        try await ledger.close()
    }

    @Test("a checkout through a sequence number inside a group commit keeps exactly the events up to it")
    func checkoutInsideAFrame() async throws {
        let source = try TemporaryStore()
        defer { source.remove() }
        let target = try TemporaryDirectory(prefix: "agentledger-checkout")
        defer { target.remove() }
        let ledger = try await source.open()
        // Concurrent writers: group commits put several events in one frame.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<20 {
                group.addTask {
                    for index in 0..<10 {
                        try await ledger.session("s\(writer % 4)").addItems([ItemFactory.user("w\(writer) q\(index)")])
                    }
                }
            }
            try await group.waitForAll()
        }
        let verification = try await Ledger.verifyLog(at: source.path)
        #expect(verification.frameCount < Int(verification.eventCount), "some frames hold several events")
        let sourceEvents = try await collect(ledger.events())
        #expect(sourceEvents.count == 200)

        for through: UInt64 in [37, 101, 163] {
            let destination = target.path + "/through-\(through)"
            #expect(try await Ledger.checkout(from: source.path, through: through, into: destination) == through)
            let copy = try await Ledger.open(at: destination, options: LedgerOptions(durability: .none))
            #expect(try await collect(copy.events()) == Array(sourceEvents.prefix(Int(through))))
            let copied = try await Ledger.verifyLog(at: destination)
            #expect(copied.problems.isEmpty && copied.lastSequence == through)
            for id in ["s0", "s1", "s2", "s3"] {
                let expected = try await everyRead(of: ledger.session(id), asOf: .sequence(through), branches: ["main"])
                expectSameReads(
                    try await everyRead(of: copy.session(id), branches: ["main"]),
                    expected,
                    "checkout through \(through), session \(id)"
                )
            }
            try await copy.close()
        }
        try await ledger.close()
    }
}

/// Every read of the session API for `session` (as of `asOf`), keyed by a label: the current
/// branch's reads and those of each name in `branches`, to compare two moments or two stores
/// with full values (dates and sequence numbers included).
func everyRead(
    of session: LedgerSession,
    asOf: AsOf? = nil,
    branches: [String] = []
) async throws -> [String: AnyHashable] {
    var reads: [String: AnyHashable] = [:]
    reads["currentBranch"] = AnyHashable(try await session.currentBranch(asOf: asOf))
    reads["listBranches"] = AnyHashable(try await session.listBranches(asOf: asOf))
    reads["sessionUsage"] = AnyHashable(try await session.sessionUsage(asOf: asOf))
    for branch in [nil] + branches.map(Optional.some) {
        let suffix = branch.map { "[\($0)]" } ?? ""
        reads["items" + suffix] = AnyHashable(try await session.items(limit: nil, branch: branch, asOf: asOf))
        reads["items(limit: 2)" + suffix] = AnyHashable(try await session.items(limit: 2, branch: branch, asOf: asOf))
        reads["conversationTurns" + suffix] = AnyHashable(
            try await session.conversationTurns(branch: branch, asOf: asOf)
        )
        reads["findTurns(q)" + suffix] = AnyHashable(
            try await session.findTurns(containing: "Q", branch: branch, asOf: asOf)
        )
        reads["conversationByTurns" + suffix] = AnyHashable(
            try await session.conversationByTurns(branch: branch, asOf: asOf)
        )
        reads["toolUsage" + suffix] = AnyHashable(try await session.toolUsage(branch: branch, asOf: asOf))
        reads["turnUsage" + suffix] = AnyHashable(try await session.turnUsage(nil, branch: branch, asOf: asOf))
        if let branch {
            reads["sessionUsage" + suffix] = AnyHashable(try await session.sessionUsage(branch: branch, asOf: asOf))
        }
    }
    return reads
}

/// Expects two ``everyRead(of:asOf:branches:)`` results to agree, read by read.
func expectSameReads(
    _ actual: [String: AnyHashable],
    _ expected: [String: AnyHashable],
    _ context: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    for key in Set(actual.keys).union(expected.keys).sorted() {
        #expect(actual[key] == expected[key], "\(context): \(key)", sourceLocation: sourceLocation)
    }
}

/// Every event an audit sequence yields, in order.
func collect(_ events: LedgerEvents) async throws -> [LedgerEvent] {
    var all: [LedgerEvent] = []
    for try await event in events {
        all.append(event)
    }
    return all
}
