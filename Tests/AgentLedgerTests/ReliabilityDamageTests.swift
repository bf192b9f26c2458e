import AgentLedger
import AgentLedgerTestSupport
import Foundation
import Testing

/// Torn and damaged logs, through `Ledger.open` and the public API (the log-level tests in
/// LogRecoveryTests cut and flip at the EventLog level; these check what a user of the ledger
/// gets: the repair reported, the items, the read model, and refusals with their location).
@Suite("Reliability: torn and damaged logs at the ledger level", .timeLimit(.minutes(5)))
struct ReliabilityDamageTests {
    /// A pristine store (several 4 KiB segments) and what it holds, built once per test.
    private struct Pristine {
        let directory: TemporaryDirectory
        let store: String
        let events: [LedgerEvent]
        let segments: [String]
        /// Each frame of the last segment: start and end offsets, first and last sequence numbers.
        let lastFrames: [(start: Int64, end: Int64, firstSequence: UInt64, lastSequence: UInt64)]

        init(calls: Int = 120) async throws {
            directory = try TemporaryDirectory(prefix: "reliability-damage")
            store = directory.path + "/pristine"
            events = try await ReliabilityFixture.build(at: store, calls: calls)
            segments = try ReliabilityHelpers.segments(store)
            let reader = try LogReader.open(directory: store)
            var frames = reader.frames(from: 1)
            var found: [(start: Int64, end: Int64, firstSequence: UInt64, lastSequence: UInt64)] = []
            let last = segments[segments.count - 1]
            let size = Int64(try LogFileBytes.size(store + "/log/" + last))
            while let frame = try frames.next() {
                guard frame.location.segment == last else {
                    continue
                }
                found.append((frame.location.offset, size, frame.firstSequence, frame.lastSequence))
                if found.count > 1 {
                    found[found.count - 2].end = frame.location.offset
                }
            }
            lastFrames = found
        }

        /// A fresh copy of the store; `keepReadModel: false` removes its read model.
        func copy(_ name: String, keepReadModel: Bool = true) throws -> String {
            let path = directory.path + "/" + name
            try? FileManager.default.removeItem(atPath: path)
            try LogFileBytes.copyDirectory(store, to: path)
            if !keepReadModel {
                ReliabilityHelpers.removeReadModel(path)
            }
            return path
        }

        /// A fresh copy whose read model proves nothing about the log's tail, as after a crash
        /// with durability `none`: it has no head recorded by a clean close (``DurableThrough``).
        func copyAfterCrash(_ name: String) async throws -> String {
            let path = try copy(name)
            try await LogDivergenceTests.forgetClosedHead(path)
            return path
        }

        var lastSegmentPath: String {
            store + "/log/" + segments[segments.count - 1]
        }
    }

    /// Opens `store`, expecting a repaired torn tail (when `torn`), and checks that it holds
    /// exactly the events up to `keep`: the events, the items of every session, the log's
    /// verification and the read model; then that an append continues at `keep + 1`.
    private func expectRepaired(
        _ store: String,
        pristine: Pristine,
        keep: UInt64,
        torn: Bool,
        context: String,
        checkReadModel: Bool = true
    ) async throws {
        let capture = ReliabilityLogCapture()
        let ledger = try await Ledger.open(at: store, options: LedgerOptions(durability: .none, logger: capture.logger))
        let reported = capture.messages.contains { $0.contains("truncated a torn tail") }
        #expect(reported == torn, "\(context): torn tail reported: \(reported), messages: \(capture.messages)")
        let expected = pristine.events.filter { $0.sequence <= keep }
        #expect(try await ledger.headSequence() == keep, "\(context)")
        let events = try await ReliabilityHelpers.events(ledger)
        #expect(events == expected, "\(context): \(events.count) events, expected \(expected.count)")
        let replay = ReliabilityHelpers.replay(expected)
        for session in ["d0", "d1", "d2", "d3"] {
            let items = try await ledger.session(session).items()
            #expect(items == replay.items[session, default: []], "\(context): session \(session)")
        }
        let verification = try await Ledger.verifyLog(at: store)
        #expect(verification.isIntact && verification.lastSequence == keep, "\(context): \(verification.problems)")
        if checkReadModel {
            #expect(try await ledger.verifyReadModel() == [], "\(context)")
        }
        let next = try await ledger.session("d0").append([ItemFactory.user("after the repair")])
        #expect(next == keep + 1, "\(context)")
        try await ledger.close()
    }

    /// Opens `store`, expecting a refusal because its read model shows the lost events durable,
    /// and checks that the open changed no file of the log and not the read model.
    private func expectRefused(_ store: String, context: String) async throws {
        let log = try ReliabilityHelpers.logFiles(store)
        let model = try LogFileBytes.read(store + "/views.sqlite")
        let error = await ReliabilityHelpers.error {
            _ = try await Ledger.open(at: store, options: LedgerOptions(durability: .none))
        }
        #expect(error?.code == .corruptLog, "\(context): \(String(describing: error))")
        #expect(error?.message.contains("read model shows that") == true, "\(context): \(String(describing: error))")
        let message = error?.message ?? ""
        let unchanged = message.contains("nothing was cut") || message.contains("no frame was cut")
        #expect(unchanged, "\(context): \(message)")
        #expect(try ReliabilityHelpers.logFiles(store) == log, "\(context): the refused open changed the log")
        let modelAfter = try LogFileBytes.read(store + "/views.sqlite")
        #expect(modelAfter == model, "\(context): the refused open changed the read model")
    }

    @Test(
        "a cut inside the last two frames (every header byte, seeded payload offsets) is repaired and reported after a crash, refused after a clean close"
    )
    func truncatedTail() async throws {
        let pristine = try await Pristine()
        defer { pristine.directory.remove() }
        let frames = pristine.lastFrames
        try #require(frames.count >= 2, "the last segment must hold two frames")
        let previous = frames[frames.count - 2]
        let last = frames[frames.count - 1]
        var random = SeededRandom(seed: 0x7041)
        var offsets = Set<Int64>()
        // Every byte of the last frame's header, every eighth of the one before, and seeded
        // offsets in both payloads.
        for (frame, step) in [(previous, Int64(8)), (last, Int64(1))] {
            for offset in stride(from: frame.start, to: min(frame.start + 64, frame.end), by: Int(step)) {
                offsets.insert(offset)
            }
            for _ in 0..<12 where frame.end - frame.start > 65 {
                offsets.insert(Int64.random(in: (frame.start + 64)..<frame.end, using: &random))
            }
            offsets.insert(frame.end - 1)
        }
        var tried = 0
        var refused = 0
        for offset in offsets.sorted() {
            // Without a read model, with one a crash left, and with one a clean close left: the
            // last proves every event durable, so a cut below the head is damage.
            let closedCleanly = tried % 3 == 2
            let store =
                tried % 3 == 1
                ? try await pristine.copyAfterCrash("cut") : try pristine.copy("cut", keepReadModel: closedCleanly)
            let segment = store + "/log/" + pristine.segments[pristine.segments.count - 1]
            try LogFileBytes.truncate(segment, to: Int(offset))
            let keep = (offset < last.start ? previous.firstSequence : last.firstSequence) - 1
            let torn = offset != previous.start && offset != last.start
            if closedCleanly {
                try await expectRefused(store, context: "cut at \(offset)")
                tried += 1
                refused += 1
                continue
            }
            try await expectRepaired(
                store,
                pristine: pristine,
                keep: keep,
                torn: torn,
                context: "cut at \(offset)",
                checkReadModel: tried % 4 == 0
            )
            tried += 1
        }
        print("RELIABILITY torn tails: \(tried) cut offsets in the last two frames, \(refused) of them refused")
    }

    @Test("garbage tails and zeroed frames are cut and reported, zeros are unused space; nothing before is lost")
    func zeroedAndGarbageTails() async throws {
        let pristine = try await Pristine()
        defer { pristine.directory.remove() }
        let last = pristine.lastFrames[pristine.lastFrames.count - 1]
        let all = pristine.events.last!.sequence
        let beforeLast = last.firstSequence - 1
        var random = SeededRandom(seed: 0x2E40)
        var cases = 0
        for count in [1, 63, 64, 65, 500, 4096] {
            let store = try pristine.copy("zeros-\(count)")
            try LogFileBytes.append([UInt8](repeating: 0, count: count), to: store + "/log/" + pristine.segments.last!)
            try await expectRepaired(store, pristine: pristine, keep: all, torn: false, context: "\(count) zero bytes")
            let garbage = try pristine.copy("garbage-\(count)", keepReadModel: false)
            try LogFileBytes.append(
                (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) },
                to: garbage + "/log/" + pristine.segments.last!
            )
            try await expectRepaired(
                garbage,
                pristine: pristine,
                keep: all,
                torn: true,
                context: "\(count) garbage bytes"
            )
            cases += 2
        }
        // Zeros over the end of the last frame (torn), and over all of it (a write that never
        // reached the disk: nothing but zeros after the frame before, so unused space).
        for zeroed in [Int64(10), last.end - last.start] {
            let store = try await pristine.copyAfterCrash("zeroed-\(zeroed)")
            let clean = try pristine.copy("zeroed-clean-\(zeroed)")
            for copy in [store, clean] {
                let path = copy + "/log/" + pristine.segments.last!
                var bytes = try LogFileBytes.read(path)
                for index in Int(last.end - zeroed)..<Int(last.end) {
                    bytes[index] = 0
                }
                try LogFileBytes.write(bytes, to: path)
            }
            try await expectRefused(clean, context: "last \(zeroed) bytes zeroed after a clean close")
            try await expectRepaired(
                store,
                pristine: pristine,
                keep: beforeLast,
                torn: zeroed < last.end - last.start,
                context: "last \(zeroed) bytes zeroed"
            )
            cases += 1
        }
        print("RELIABILITY zeroed and garbage tails: \(cases) cases repaired")
    }

    /// The offset of the frame of `segment` that holds byte `offset`.
    private func frameStart(in path: String, containing offset: Int64) throws -> Int64 {
        let bytes = try LogFileBytes.read(path)
        var start: Int64 = 32
        while start < Int64(bytes.count) {
            let length = bytes[Int(start)..<Int(start) + 4].enumerated().reduce(Int64(0)) {
                $0 | Int64($1.element) << (8 * Int64($1.offset))
            }
            if offset < start + length {
                return start
            }
            start += length
        }
        return start
    }

    @Test("bit flips in sealed frames and in segment headers are refused with their location, never served")
    func bitFlips() async throws {
        let pristine = try await Pristine()
        defer { pristine.directory.remove() }
        let segments = pristine.segments
        let lastFrameStart = pristine.lastFrames.last!.start
        var random = SeededRandom(seed: 0xF11B)
        var flips = 0
        var refusedAtOpen = 0
        var refusedOnRead = 0
        for round in 0..<48 {
            let inHeader = round % 4 == 3
            let position = Int.random(in: 0..<segments.count, using: &random)
            let name = segments[position]
            let size = Int64(try LogFileBytes.size(pristine.store + "/log/" + name))
            let isLast = position == segments.count - 1
            // Sealed frames: anywhere in a non-last segment, or before the last frame of the last one.
            let upper = isLast ? lastFrameStart : size
            let offset =
                inHeader ? Int64.random(in: 0..<32, using: &random) : Int64.random(in: 32..<upper, using: &random)
            let bit = Int.random(in: 0..<8, using: &random)
            let context = "bit \(bit) of byte \(offset) of \(name)"
            let expectedOffset = inHeader ? 0 : try frameStart(in: pristine.store + "/log/" + name, containing: offset)
            for keepReadModel in [true, false] {
                let store = try pristine.copy("flip", keepReadModel: keepReadModel)
                try LogFileBytes.flipBit(store + "/log/" + name, at: Int(offset), bit: bit)
                let verification = try await Ledger.verifyLog(at: store)
                #expect(
                    verification.problems.contains {
                        $0.location?.segment == name && $0.location?.offset == expectedOffset
                    },
                    "\(context): verify found \(verification.problems)"
                )
                do {
                    let ledger = try await Ledger.open(at: store, options: LedgerOptions(durability: .none))
                    // Opened: the damage is in a payload that recovery does not read and the read
                    // model already holds those events. Reading the log must refuse, not serve it.
                    #expect(keepReadModel, "\(context): opened without a read model, so the damage was replayed")
                    var served: [LedgerEvent] = []
                    let error = await ReliabilityHelpers.error {
                        for try await event in try ledger.events() {
                            served.append(event)
                        }
                    }
                    #expect(
                        error?.code == .corruptLog && error?.location?.segment == name,
                        "\(context): \(String(describing: error))"
                    )
                    #expect(served == Array(pristine.events.prefix(served.count)), "\(context): served altered events")
                    refusedOnRead += 1
                    try await ledger.close()
                } catch let error as LedgerError {
                    #expect(error.code == .corruptLog, "\(context): \(error)")
                    #expect(
                        error.location?.segment == name && error.location?.offset == expectedOffset,
                        "\(context): \(error)"
                    )
                    refusedAtOpen += 1
                }
                let lock = try? LogFileBytes.read(store + "/LOCK")
                #expect(lock != nil)
                flips += 1
            }
        }
        print(
            "RELIABILITY bit flips: \(flips) flips (\(segments.count) segments): refused at open \(refusedAtOpen), "
                + "refused when the log was read \(refusedOnRead)"
        )
    }

    @Test(
        "a flipped bit in the very last frame: a torn tail after a crash (cut, the events before it kept), damage after a clean close (refused)"
    )
    func flipInLastFrame() async throws {
        let pristine = try await Pristine()
        defer { pristine.directory.remove() }
        let frames = pristine.lastFrames
        let last = frames[frames.count - 1]
        let store = try await pristine.copyAfterCrash("flip-last")
        let clean = try pristine.copy("flip-last-clean")
        for copy in [store, clean] {
            try LogFileBytes.flipBit(copy + "/log/" + pristine.segments.last!, at: Int(last.end - 1), bit: 3)
        }
        try await expectRefused(clean, context: "flip in the last frame after a clean close")
        try await expectRepaired(
            store,
            pristine: pristine,
            keep: last.firstSequence - 1,
            torn: true,
            context: "flip in the last frame"
        )
    }

    @Test("a deleted middle or first segment is refused, naming the segment after the gap")
    func deletedSegments() async throws {
        let pristine = try await Pristine()
        defer { pristine.directory.remove() }
        let segments = pristine.segments
        try #require(segments.count >= 3)
        for (removed, named) in [(1, 2), (0, 1)] {
            for keepReadModel in [true, false] {
                let store = try pristine.copy("gap", keepReadModel: keepReadModel)
                try LogFileBytes.remove(store + "/log/" + segments[removed])
                let error = await ReliabilityHelpers.error {
                    _ = try await Ledger.open(at: store, options: LedgerOptions(durability: .none))
                }
                #expect(error?.code == .corruptLog, "removed \(segments[removed]): \(String(describing: error))")
                #expect(error?.location?.segment == segments[named], "\(String(describing: error))")
                #expect(error?.message.contains("missing") == true, "\(String(describing: error))")
                let verification = try await Ledger.verifyLog(at: store)
                #expect(verification.problems.contains { $0.location?.segment == segments[named] })
                // The refused open changed no file of the log.
                var expected = try ReliabilityHelpers.logFiles(pristine.store)
                expected[segments[removed]] = nil
                #expect(try ReliabilityHelpers.logFiles(store) == expected)
            }
        }
    }
}
