import AgentLedger
import AgentLedgerTestSupport
import Foundation
import Synchronization
import Testing

/// The audit trail and verification (issue 5): `events(...)` with every filter, popped and
/// cleared items visible with their content, streaming across segments, and `verifyLog` with
/// an expected head.
@Suite("Audit trail")
struct AuditTests {
    /// 2026-01-01T00:00:00Z; step `i` of the script runs at `base + i` seconds.
    static let base: Int64 = 1_767_225_600_000_000

    static let fc = ItemFactory.functionCall("lookup", arguments: #"{"q":"x"}"#, callID: "c9")
    static let y1 = ItemFactory.user("y one")

    /// The script: what each step does, and the (session, branch, kind) of the event it writes.
    static let script: [(run: @Sendable (Ledger) async throws -> Void, event: (String, String, EventKind))] = [
        (
            { try await $0.session("x").addItems([ItemFactory.user("q1"), ItemFactory.assistant("a1")]) },
            ("x", "main", .itemsAdded)
        ),
        ({ try await $0.session("y").addItems([AuditTests.y1]) }, ("y", "main", .itemsAdded)),
        (
            { try await $0.session("x").addItems([ItemFactory.user("q2"), AuditTests.fc]) },
            ("x", "main", .itemsAdded)
        ),
        (
            { try await $0.session("x").recordUsage(RunUsage(requests: 2, inputTokens: 3, totalTokens: 5)) },
            ("x", "main", .usageRecorded)
        ),
        ({ _ = try await $0.session("x").popItem() }, ("x", "main", .itemPopped)),
        ({ try await $0.session("x").createBranch(fromTurn: 2, named: "alt") }, ("x", "alt", .branchCreated)),
        ({ try await $0.session("x").addItems([ItemFactory.user("q2 alt")]) }, ("x", "alt", .itemsAdded)),
        ({ try await $0.session("x").switchToBranch("main") }, ("x", "main", .branchSwitched)),
        ({ try await $0.session("x").deleteBranch("alt") }, ("x", "alt", .branchDeleted)),
        ({ try await $0.session("y").clearSession() }, ("y", "main", .sessionCleared)),
        ({ try await $0.session("x").createBranch(fromTurn: 1, named: "b2") }, ("x", "b2", .branchCreated)),
        ({ try await $0.session("x").clearSession() }, ("x", "main", .sessionCleared)),
        ({ try await $0.session("y").addItems([ItemFactory.user("y two")]) }, ("y", "main", .itemsAdded)),
    ]

    /// Opens a store with a clock set per step, plays the script, and runs `body`.
    static func withScript(_ body: (Ledger, TemporaryStore) async throws -> Void) async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let clock = TimeTravelTests.ManualClock(base)
        let ledger = try await store.open { $0.clock = { clock.now() } }
        do {
            for (index, step) in script.enumerated() {
                clock.set(base + Int64(index) * 1_000_000)
                try await step.run(ledger)
            }
            try await body(ledger, store)
        } catch {
            try? await ledger.close()
            throw error
        }
        try await ledger.close()
    }

    static func date(_ micros: Int64) -> Date {
        Date(timeIntervalSince1970: Double(micros) / 1_000_000)
    }

    @Test("every mutation is one event, in order, with contiguous sequence numbers, its time and its content")
    func everyMutationIsAnEvent() async throws {
        try await Self.withScript { ledger, _ in
            let events = try await collect(ledger.events())
            #expect(try await ledger.headSequence() == UInt64(Self.script.count))
            #expect(events.map(\.sequence) == Array(1...UInt64(Self.script.count)))
            #expect(events.map(\.timestampMicros) == Self.script.indices.map { Self.base + Int64($0) * 1_000_000 })
            for (event, step) in zip(events, Self.script) {
                #expect(event.sessionID == step.event.0, "event \(event.sequence)")
                #expect(event.branch == step.event.1, "event \(event.sequence)")
                #expect(event.kind == step.event.2, "event \(event.sequence)")
                #expect(event.kind == event.payload.kind)
            }
            #expect(events[0].payload == .itemsAdded([ItemFactory.user("q1"), ItemFactory.assistant("a1")]))
            #expect(
                events[3].payload
                    == .usageRecorded(turn: 2, usage: RunUsage(requests: 2, inputTokens: 3, totalTokens: 5))
            )
            // The popped item is in the pop event, and names the event and index that added it.
            #expect(events[4].payload == .itemPopped(item: Self.fc, itemSequence: 3, itemIndex: 1))
            guard case .itemsAdded(let added) = events[2].payload else {
                Issue.record("event 3 is not an add")
                return
            }
            #expect(added[1] == Self.fc)
            #expect(events[5].payload == .branchCreated(sourceBranch: "main", fromTurn: 2))
            #expect(events[7].payload == .branchSwitched(previousBranch: "alt"))
            #expect(events[8].payload == .branchDeleted(switchedToMain: false))
            #expect(events[9].payload == .sessionCleared)
            // Cleared items are gone from the session but stay in the log with their content.
            #expect(try await ledger.session("y").items() == [ItemFactory.user("y two")])
            #expect(events[1].payload == .itemsAdded([Self.y1]))
            #expect(try await ledger.session("x").items() == [])
            let xAdds = events.filter { $0.sessionID == "x" && $0.kind == .itemsAdded }
            #expect(xAdds.count == 3)
        }
    }

    @Test("filters by session, branch, kinds, sequence range and time range, alone and combined")
    func filters() async throws {
        try await Self.withScript { ledger, _ in
            let all = try await collect(ledger.events())
            let head = UInt64(all.count)
            func at(_ step: Double) -> Date {
                Self.date(Self.base + Int64(step * 1_000_000))
            }
            let cases: [(EventFilter, (LedgerEvent) -> Bool, Int)] = [
                (EventFilter(), { _ in true }, 13),
                (EventFilter(sessionID: "x"), { $0.sessionID == "x" }, 10),
                (EventFilter(sessionID: "y"), { $0.sessionID == "y" }, 3),
                (EventFilter(sessionID: "nobody"), { _ in false }, 0),
                (EventFilter(branch: "alt"), { $0.branch == "alt" }, 3),
                (EventFilter(sessionID: "y", branch: "main"), { $0.sessionID == "y" && $0.branch == "main" }, 3),
                (
                    EventFilter(kinds: [.itemPopped, .sessionCleared]),
                    { $0.kind == .itemPopped || $0.kind == .sessionCleared }, 3
                ),
                (EventFilter(kinds: []), { _ in false }, 0),
                (EventFilter(fromSequence: 4), { $0.sequence >= 4 }, 10),
                (EventFilter(toSequence: 4), { $0.sequence <= 4 }, 4),
                (EventFilter(fromSequence: 4, toSequence: 9), { (4...9).contains($0.sequence) }, 6),
                (EventFilter(fromSequence: 9, toSequence: 4), { _ in false }, 0),
                (EventFilter(toSequence: 0), { _ in false }, 0),
                (EventFilter(fromSequence: head + 1), { _ in false }, 0),
                (EventFilter(fromSequence: 0), { _ in true }, 13),
                (EventFilter(since: at(5)), { $0.sequence >= 6 }, 8),
                (EventFilter(until: at(5)), { $0.sequence <= 6 }, 6),
                (EventFilter(since: at(4.5), until: at(8)), { (6...9).contains($0.sequence) }, 4),
                (EventFilter(since: at(8.5), until: at(8.7)), { _ in false }, 0),
                (EventFilter(since: at(-100)), { _ in true }, 13),
                (
                    EventFilter(sessionID: "x", kinds: [.itemsAdded], fromSequence: 2),
                    { $0.sessionID == "x" && $0.kind == .itemsAdded && $0.sequence >= 2 }, 2
                ),
                (
                    EventFilter(
                        sessionID: "x",
                        branch: "main",
                        kinds: [.sessionCleared, .branchSwitched],
                        until: at(11)
                    ),
                    {
                        $0.sessionID == "x" && ($0.kind == .sessionCleared || $0.kind == .branchSwitched)
                            && $0.sequence <= 12
                    }, 2
                ),
            ]
            for (filter, predicate, count) in cases {
                let found = try await collect(ledger.events(filter))
                #expect(found == all.filter(predicate), "\(filter)")
                #expect(found.count == count, "\(filter)")
                #expect(found.allSatisfy(filter.matches), "\(filter)")
            }
        }
    }

    @Test("events stream across many segments, contiguous, with the content written, also after reopening")
    func streamingAcrossSegments() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        var random = SeededRandom(seed: 45)
        let letters = Array("abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        var written: [[SessionItem]] = []
        var ledger = try await store.open { $0.segmentSizeBytes = 4096 }
        for index in 0..<240 {
            let text = String((0..<300).map { _ in letters.randomElement(using: &random)! })
            let items = [ItemFactory.user("\(index) \(text)")]
            try await ledger.session(index % 3 == 0 ? "p" : "q").addItems(items)
            written.append(items)
        }
        _ = try await ledger.session("p").popItem()
        try await ledger.session("q").clearSession()
        let head = try await ledger.headSequence()
        #expect(head == 242)
        let verification = try await Ledger.verifyLog(at: store.path)
        #expect(verification.segmentCount >= 10, "the log spans many segments")
        #expect(verification.problems.isEmpty)

        for pass in 0..<2 {
            let events = try await collect(ledger.events())
            #expect(events.map(\.sequence) == Array(1...head), "pass \(pass)")
            let added = events.prefix(240).map { event -> [SessionItem] in
                if case .itemsAdded(let items) = event.payload {
                    return items
                }
                return []
            }
            #expect(added == written, "pass \(pass)")
            #expect(events[240].kind == .itemPopped && events[241].kind == .sessionCleared)
            // A range that starts and ends inside segments.
            let range = try await collect(ledger.events(EventFilter(fromSequence: 101, toSequence: 187)))
            #expect(range.map(\.sequence) == Array(101...187), "pass \(pass)")
            #expect(range == Array(events[100..<187]), "pass \(pass)")
            let session = try await collect(ledger.events(EventFilter(sessionID: "p", fromSequence: 200)))
            #expect(session == events.filter { $0.sessionID == "p" && $0.sequence >= 200 }, "pass \(pass)")
            #expect(!session.isEmpty)
            if pass == 0 {
                try await ledger.close()
                ledger = try await store.open { $0.segmentSizeBytes = 4096 }
            }
        }
        try await ledger.close()
    }

    /// The turns of a counting task, and whether it should stop.
    final class SharedTurns: Sendable {
        let turns = Atomic(0)
        let done = Atomic(false)
    }

    @Test("reading the events gives its thread up to other tasks every few frames")
    func givesUpItsThread() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let ledger = try await store.open()
        // One frame per event: each add is awaited. Only the first and the last match. Ten
        // times the frames the reading takes between two suspensions (framesPerSlice, 32).
        let frames = 320
        for index in 0..<frames {
            let session = index == 0 || index == frames - 1 ? "edge" : "bulk"
            try await ledger.session(session).addItems([ItemFactory.user("item \(index)")])
        }
        // The reading and a task that counts its own turns share one thread: the count goes up
        // between the two matches only if the reading lets it run.
        let executor = OneThreadExecutor()
        defer { executor.stop() }
        let state = SharedTurns()
        let counter = Task(executorPreference: executor) {
            while !state.done.load(ordering: .relaxed) {
                state.turns.add(1, ordering: .relaxed)
                await Task.yield()
            }
        }
        let reading = Task(executorPreference: executor) { () -> [Int] in
            defer { state.done.store(true, ordering: .relaxed) }
            var seen: [Int] = []
            for try await _ in try ledger.events(EventFilter(sessionID: "edge")) {
                seen.append(state.turns.load(ordering: .relaxed))
            }
            return seen
        }
        let seen = try await reading.value
        await counter.value
        #expect(seen.count == 2)
        if seen.count == 2 {
            // About one turn every framesPerSlice frames (10 slices); none without the yields.
            #expect(seen[1] - seen[0] >= 5, "\(seen)")
        }
        try await ledger.close()
    }

    @Test("a cancelled task's reading of the events throws cancelled before the next frame, however little matches")
    func cancelledReading() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let ledger = try await store.open()
        // One frame per event: each add is awaited.
        for index in 0..<50 {
            try await ledger.session("s").addItems([ItemFactory.user("item \(index)")])
        }
        // Cancelled from the start, with a filter nothing matches: it read the whole log, then
        // ended as if no event matched.
        let nothing = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            var matched = 0
            for try await _ in try ledger.events(EventFilter(sessionID: "no such session")) {
                matched += 1
            }
            return matched
        }
        let error = try await #require(throws: LedgerError.self) { try await nothing.value }
        #expect(error.code == .cancelled, "\(error)")
        // Cancelled after its first event: the next frame is not read.
        let some = Task { () -> (UInt64?, LedgerError.Code?) in
            var events = try ledger.events().makeAsyncIterator()
            let first = try await events.next()
            withUnsafeCurrentTask { $0?.cancel() }
            do {
                _ = try await events.next()
                return (first?.sequence, nil)
            } catch let error as LedgerError {
                return (first?.sequence, error.code)
            }
        }
        let (first, code) = try await some.value
        #expect(first == 1)
        #expect(code == .cancelled)
        // The ledger reads on for a task that is not cancelled.
        #expect(try await collect(ledger.events()).count == 50)
        try await ledger.close()
    }

    @Test("a reading of the events begun before close() throws closed before the next frame, read-only too")
    func readingAfterClose() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let ledger = try await store.open()
        // One frame per event: each add is awaited.
        for index in 0..<10 {
            try await ledger.session("s").addItems([ItemFactory.user("item \(index)")])
        }
        let reader = try await store.open { $0.readOnly = true }
        for handle in [ledger, reader] {
            var events = try handle.events().makeAsyncIterator()
            #expect(try await events.next()?.sequence == 1)
            try await handle.close()
            // It went on reading the store's log, which the closed handle no longer holds.
            let error = try await #require(throws: LedgerError.self) { try await events.next() }
            #expect(error.code == .closed, "\(error)")
        }
    }

    @Test("reading the audit trail and verifying while a writer appends: a contiguous prefix, never damage")
    func readWhileWriting() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let ledger = try await store.open { $0.segmentSizeBytes = 4096 }
        let writer = Task {
            for index in 0..<400 {
                try await ledger.session("live").addItems([
                    ItemFactory.user("live \(index) " + String(repeating: "z", count: 40))
                ])
            }
        }
        var listings = 0
        var seen = 0
        while seen < 400 && listings < 5000 {
            let events = try await collect(ledger.events(EventFilter(sessionID: "live")))
            #expect(events.map(\.sequence) == Array(stride(from: 1, through: UInt64(events.count), by: 1)))
            let verification = try await Ledger.verifyLog(at: store.path)
            #expect(!verification.hasCorruption, "\(verification.problems)")
            listings += 1
            seen = events.count
        }
        #expect(listings > 1, "the log was read while it grew")
        try await writer.value
        #expect(try await collect(ledger.events()).count == 400)
        try await ledger.close()
    }

    @Test("verifyLog reports the head; an expected head that the log extends matches, another does not")
    func verifyWithExpectedHead() async throws {
        try await Self.withScript { ledger, store in
            let first = try await Ledger.verifyLog(at: store.path)
            #expect(first.problems.isEmpty)
            #expect(first.isIntact && !first.hasCorruption)
            #expect(first.head.sequence == UInt64(Self.script.count))
            #expect(try await ledger.headSequence() == first.lastSequence)
            #expect(first.eventCount == UInt64(Self.script.count))
            #expect(first.head.hash.count == 32 && first.head.hash != [UInt8](repeating: 0, count: 32))
            #expect(first.expectedHeadMatched == nil)
            #expect(first.headHashHex == first.head.hashHex && first.headHashHex.count == 64)
            #expect(first.head.description == "\(first.head.sequence):\(first.head.hashHex)")
            #expect(LogHead(sequence: first.head.sequence, hashHex: first.head.hashHex) == first.head)
            #expect(LogHead(sequence: first.head.sequence, hashHex: first.head.hashHex.uppercased()) == first.head)
            #expect(LogHead(sequence: 1, hashHex: "xyz") == nil)

            // The same head matches; the log is unchanged.
            let same = try await Ledger.verifyLog(at: store.path, expectedHead: first.head)
            #expect(same.expectedHeadMatched == true)
            #expect(same.problems.isEmpty)
            #expect(same.head == first.head)

            // More events: the log still extends the recorded head.
            try await ledger.session("x").addItems([ItemFactory.user("later")])
            let later = try await Ledger.verifyLog(at: store.path, expectedHead: first.head)
            #expect(later.expectedHeadMatched == true)
            #expect(later.problems.isEmpty)
            #expect(later.head.sequence == first.head.sequence + 1)
            #expect(later.head.hash != first.head.hash)

            // A head from an earlier point also matches.
            let intermediate = try await Ledger.verifyLog(at: store.path, expectedHead: later.head)
            #expect(intermediate.expectedHeadMatched == true)

            // A wrong hash does not, and is a problem.
            var wrongHash = first.head.hash
            wrongHash[0] ^= 0x01
            let wrong = try await Ledger.verifyLog(
                at: store.path,
                expectedHead: LogHead(sequence: first.head.sequence, hash: wrongHash)
            )
            #expect(wrong.expectedHeadMatched == false)
            #expect(wrong.problems.contains { $0.code == .corruptLog })
            #expect(!wrong.isIntact)

            // The right hash at another sequence number does not match either.
            let shifted = try await Ledger.verifyLog(
                at: store.path,
                expectedHead: LogHead(sequence: first.head.sequence - 1, hash: first.head.hash)
            )
            #expect(shifted.expectedHeadMatched == false)

            // A head past the end of the log cannot be confirmed.
            let beyond = try await Ledger.verifyLog(
                at: store.path,
                expectedHead: LogHead(sequence: later.head.sequence + 5, hash: later.head.hash)
            )
            #expect(beyond.expectedHeadMatched == false)
            #expect(!beyond.problems.isEmpty)

            // The empty head (sequence 0, zeros) is extended by every log; with another hash it is not.
            let zero = try await Ledger.verifyLog(
                at: store.path,
                expectedHead: LogHead(sequence: 0, hash: [UInt8](repeating: 0, count: 32))
            )
            #expect(zero.expectedHeadMatched == true && zero.problems.isEmpty)
            let notZero = try await Ledger.verifyLog(
                at: store.path,
                expectedHead: LogHead(sequence: 0, hash: [UInt8](repeating: 7, count: 32))
            )
            #expect(notZero.expectedHeadMatched == false)
        }
    }

    @Test("a byte changed in the log is found, with its location, and the recorded head no longer matches")
    func tamperingIsFound() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let ledger = try await store.open()
        for index in 0..<20 {
            try await ledger.session("t").addItems([ItemFactory.user("message \(index)")])
        }
        let recorded = try await Ledger.verifyLog(at: store.path)
        #expect(recorded.problems.isEmpty)
        try await ledger.close()

        let logDirectory = store.path + "/log"
        let segment = try #require(
            try FileManager.default.contentsOfDirectory(atPath: logDirectory).first { $0.hasSuffix(".seg") }
        )
        let path = logDirectory + "/" + segment
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count / 2] ^= 0x20
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let tampered = try await Ledger.verifyLog(at: store.path, expectedHead: recorded.head)
        #expect(tampered.hasCorruption)
        // The recorded head's frame itself is intact, but the chain up to it is not: the log
        // no longer proves that it extends the recorded head.
        #expect(tampered.expectedHeadMatched != true, "problems: \(tampered.problems)")
        let located = try #require(tampered.problems.first { $0.location != nil })
        #expect(located.location?.segment == segment)
        #expect(located.location.map { $0.offset > 0 && $0.offset < Int64(bytes.count) } == true)
    }
}
