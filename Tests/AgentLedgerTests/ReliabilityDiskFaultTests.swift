import AgentLedger
import AgentLedgerTestSupport
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Disk faults at the ledger level: a write or fsync of the log fails (ENOSPC, EIO) or a write
/// is short, while several tasks append; and a real full disk (a 2 MiB tmpfs) when the machine
/// lets the test mount one.
@Suite("Reliability: disk faults at the ledger level", .timeLimit(.minutes(5)))
struct ReliabilityDiskFaultTests {
    /// One injected fault.
    struct Scenario: CustomStringConvertible, Sendable {
        let name: String
        let segmentSizeBytes: Int
        /// ``LedgerOptions/logPreallocationBytes``: the default, or 0 where reservations would
        /// shift the numbering of the writes a scenario aims at.
        var preallocationBytes = LedgerOptions().logPreallocationBytes
        let arm: @Sendable (FaultyFileSystem) -> Void

        var description: String { name }
    }

    static let scenarios: [Scenario] = {
        var random = SeededRandom(seed: 0xD15C)
        var scenarios: [Scenario] = []
        for round in 0..<3 {
            let number = Int.random(in: 1...12, using: &random)
            let kept = Int.random(in: 1...120, using: &random)
            // The write after the first frame reserves space ahead of the frames (the next
            // reservation is hundreds of frames later); reservationFault fails that one.
            let write = number == 1 ? 1 : number + 1
            scenarios += [
                Scenario(name: "frame write #\(number) fails with ENOSPC", segmentSizeBytes: 64 << 20) {
                    $0.failWrite(write, errno: ENOSPC, pathSuffix: ".seg")
                },
                Scenario(name: "frame write #\(number) fails with EIO", segmentSizeBytes: 64 << 20) {
                    $0.failWrite(write, errno: EIO, pathSuffix: ".seg")
                },
                Scenario(
                    name: "frame write #\(number) is short (\(kept) bytes) then ENOSPC",
                    segmentSizeBytes: 64 << 20
                ) {
                    $0.shortWrite(write, keepingBytes: kept, errno: ENOSPC, pathSuffix: ".seg")
                },
                Scenario(name: "fdatasync #\(number) fails with EIO", segmentSizeBytes: 64 << 20) {
                    $0.failSync(number, errno: EIO, pathSuffix: ".seg")
                },
                Scenario(name: "fdatasync #\(number) fails with ENOSPC", segmentSizeBytes: 64 << 20) {
                    $0.failSync(number, errno: ENOSPC, pathSuffix: ".seg")
                },
            ]
            if round < 2 {
                // Small segments: the fault can hit a roll-over (the new segment's header write,
                // its fsync, the fsync of log/).
                scenarios += [
                    Scenario(
                        name: "4 KiB segments, write #\(number + 10) fails with ENOSPC",
                        segmentSizeBytes: 4096,
                        preallocationBytes: 0
                    ) {
                        $0.failWrite(number + 10, errno: ENOSPC, pathSuffix: ".seg")
                    },
                    Scenario(
                        name: "4 KiB segments, directory fsync #\(round + 1) fails with EIO",
                        segmentSizeBytes: 4096
                    ) {
                        $0.inject(.fail(errno: EIO), on: .syncDirectory, number: round + 1)
                    },
                    Scenario(name: "4 KiB segments, fsync #\(number + 10) fails with EIO", segmentSizeBytes: 4096) {
                        $0.failSync(number + 10, errno: EIO, pathSuffix: ".seg")
                    },
                ]
            }
        }
        return scenarios
    }()

    /// What the appending tasks saw.
    private struct Outcome: Sendable {
        var acknowledged: [(sequence: UInt64, session: String, items: [SessionItem])] = []
        var errors: [LedgerError] = []
    }

    /// Appends from four tasks (each to its own session, one call at a time, until a call fails
    /// and then three more) and returns what was acknowledged and what failed.
    private func appendUntilFailure(_ ledger: Ledger, calls: Int = 120) async -> Outcome {
        await withTaskGroup(of: Outcome.self) { group in
            for task in 0..<4 {
                group.addTask {
                    var outcome = Outcome()
                    let session = ledger.session("f\(task)")
                    var failures = 0
                    for call in 0..<calls where failures < 4 {
                        let items = (0...(call % 2)).map {
                            ItemFactory.user(
                                "f t=\(task) c=\(call) i=\($0) " + String(repeating: "x", count: 60 + call)
                            )
                        }
                        do {
                            if let sequence = try await session.append(items) {
                                outcome.acknowledged.append((sequence, "f\(task)", items))
                            }
                        } catch let error as LedgerError {
                            outcome.errors.append(error)
                            failures += 1
                        } catch {
                            Issue.record("not a LedgerError: \(error)")
                        }
                    }
                    return outcome
                }
            }
            var all = Outcome()
            for await outcome in group {
                all.acknowledged += outcome.acknowledged
                all.errors += outcome.errors
            }
            all.acknowledged.sort { $0.sequence < $1.sequence }
            return all
        }
    }

    /// Checks the ledger's state against what was acknowledged: the head (`eventsAfter` events
    /// past the last acknowledged add), each session's items.
    private func expectHolds(
        _ ledger: Ledger,
        _ outcome: Outcome,
        eventsAfter: UInt64 = 0,
        context: String
    ) async throws {
        #expect(
            try await ledger.headSequence() == (outcome.acknowledged.last?.sequence ?? 0) + eventsAfter,
            "\(context)"
        )
        for task in 0..<4 {
            let expected = outcome.acknowledged.filter { $0.session == "f\(task)" }.flatMap(\.items)
            #expect(try await ledger.session("f\(task)").items() == expected, "\(context): session f\(task)")
        }
    }

    @Test(
        "a failed or short write or fsync: its batch fails clearly, nothing unacknowledged shows, the log recovers in place so every later call succeeds, and the reopened log holds exactly the acknowledged events",
        arguments: Self.scenarios
    )
    func injectedFault(_ scenario: Scenario) async throws {
        let directory = try TemporaryDirectory(prefix: "reliability-fault")
        defer { directory.remove() }
        let store = directory.path + "/store"
        let fileSystem = FaultyFileSystem()
        let ledger = try await Ledger.open(
            at: store,
            options: LedgerOptions(
                durability: .fsync,
                segmentSizeBytes: scenario.segmentSizeBytes,
                logPreallocationBytes: scenario.preallocationBytes,
                fileSystem: fileSystem
            )
        )
        scenario.arm(fileSystem)
        let calls = 120
        let outcome = await appendUntilFailure(ledger, calls: calls)
        #expect(fileSystem.statistics.faultsInjected == 1, "\(scenario): the fault did not fire")
        // The failing batch's callers get the I/O error, naming the call and errno.
        let ioErrors = outcome.errors.filter { $0.code == .io }
        #expect(!ioErrors.isEmpty, "\(scenario): \(outcome.errors)")
        #expect(outcome.errors.allSatisfy { $0.code == .io }, "\(scenario): \(outcome.errors)")
        for error in ioErrors {
            let text = "\(error)"
            #expect(text.contains("ENOSPC") || text.contains("EIO"), "\(scenario): unclear error \(text)")
        }
        // The next call recovered the log in place: every call after the failing batch succeeded.
        #expect(outcome.acknowledged.count + outcome.errors.count == 4 * calls, "\(scenario): \(outcome.errors)")
        // Nothing unacknowledged is visible.
        try await expectHolds(ledger, outcome, context: "\(scenario), before reopening")
        // The serial path (a pop) writes to the recovered log too.
        let session = ledger.session("f0")
        let lastOfF0 = try #require(outcome.acknowledged.last { $0.session == "f0" }?.items.last)
        #expect(try await session.popItem() == lastOfF0, "\(scenario)")
        try await session.addItems([lastOfF0])
        try await ledger.close()
        // Reopened: the log holds exactly the acknowledged events, then the pop and the add.
        let reopened = try await Ledger.open(at: store, options: LedgerOptions(durability: .fsync))
        let events = try await ReliabilityHelpers.events(reopened)
        let last = outcome.acknowledged.last?.sequence ?? 0
        #expect(events.map(\.sequence) == outcome.acknowledged.map(\.sequence) + [last + 1, last + 2], "\(scenario)")
        #expect(events.suffix(2).map(\.kind) == [.itemPopped, .itemsAdded], "\(scenario)")
        for (event, acknowledged) in zip(events, outcome.acknowledged) {
            #expect(
                event.sessionID == acknowledged.session && event.payload == .itemsAdded(acknowledged.items),
                "\(scenario)"
            )
        }
        try await expectHolds(reopened, outcome, eventsAfter: 2, context: "\(scenario), reopened")
        let verification = try await Ledger.verifyLog(at: store)
        #expect(verification.isIntact, "\(scenario): \(verification.problems)")
        #expect(try await reopened.verifyReadModel() == [], "\(scenario)")
        let next = try await reopened.session("f0").append([ItemFactory.user("after reopening")])
        #expect(next == last + 3)
        try await reopened.close()
        print(
            "RELIABILITY disk fault (\(scenario)): acknowledged \(outcome.acknowledged.count) calls, "
                + "failed \(ioErrors.count) with io, recovered in place"
        )
    }

    @Test(
        "a failed or short reservation of log space fails no call: the log appends without it, rolls over cleanly, and the reopened log holds every event",
        arguments: [nil, 100] as [Int?],
        [64 << 20, 4096]
    )
    func reservationFault(keptBytes: Int?, segmentSizeBytes: Int) async throws {
        let directory = try TemporaryDirectory(prefix: "reliability-reserve")
        defer { directory.remove() }
        let store = directory.path + "/store"
        let fileSystem = FaultyFileSystem()
        let capture = ReliabilityLogCapture()
        let ledger = try await Ledger.open(
            at: store,
            options: LedgerOptions(
                durability: .fsync,
                segmentSizeBytes: segmentSizeBytes,
                logger: capture.logger,
                fileSystem: fileSystem
            )
        )
        // Write #2 is the reservation after the first frame.
        if let keptBytes {
            fileSystem.shortWrite(2, keepingBytes: keptBytes, errno: ENOSPC, pathSuffix: ".seg")
        } else {
            fileSystem.failWrite(2, errno: ENOSPC, pathSuffix: ".seg")
        }
        let outcome = await appendUntilFailure(ledger, calls: 30)
        #expect(fileSystem.statistics.faultsInjected == 1)
        #expect(outcome.errors.isEmpty, "\(outcome.errors)")
        #expect(outcome.acknowledged.count == 120)
        #expect(capture.messages.contains { $0.contains("could not reserve space in the log") }, "\(capture.messages)")
        try await expectHolds(ledger, outcome, context: "reservation fault")
        try await ledger.close()
        if segmentSizeBytes == 4096 {
            #expect(try LogFileBytes.list(store + "/log").count > 1, "the calls rolled over")
        }
        let reopened = try await Ledger.open(
            at: store,
            options: LedgerOptions(durability: .fsync, segmentSizeBytes: segmentSizeBytes)
        )
        #expect(try await ReliabilityHelpers.events(reopened).map(\.sequence) == outcome.acknowledged.map(\.sequence))
        try await expectHolds(reopened, outcome, context: "reservation fault, reopened")
        try await reopened.close()
        #expect(try await Ledger.verifyLog(at: store).isIntact)
    }

    @Test(
        "a real full disk (a 2 MiB tmpfs): the failing call gets a clear error, calls fail while the disk stays full, after it grows the same store takes writes again, and the reopened store holds exactly the acknowledged events"
    )
    func realFullDisk() async throws {
        let directory = try TemporaryDirectory(prefix: "reliability-tmpfs")
        defer { directory.remove() }
        let mountPoint = directory.path + "/disk"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: false)
        try await Tmpfs.withMount(at: mountPoint, size: "2m") { try await fillDisk($0) }
    }

    private func fillDisk(_ mountPoint: String) async throws {
        let store = mountPoint + "/store"
        let capture = ReliabilityLogCapture()
        let ledger = try await Ledger.open(
            at: store,
            options: LedgerOptions(durability: .fsync, logger: capture.logger)
        )
        var random = SeededRandom(seed: 0xF011)
        var acknowledged: [(sequence: UInt64, items: [SessionItem])] = []
        var firstError: LedgerError?
        let session = ledger.session("full")
        for call in 0..<2000 {
            let text = ReliabilityFixture.text(&random, count: 3000)
            let items = [ItemFactory.user("full c=\(call) \(text)")]
            do {
                if let sequence = try await session.append(items) {
                    acknowledged.append((sequence, items))
                }
            } catch let error as LedgerError {
                firstError = error
                break
            }
        }
        let error = try #require(firstError, "the 2 MiB disk never filled up")
        let text = "\(error)"
        // `io` or `sqlite` for the call that failed; `writerFailed` (naming the same cause) for
        // the next call when the read model's COMMIT failed after its call was acknowledged.
        #expect([.io, .sqlite, .writerFailed].contains(error.code), "\(text)")
        #expect(text.contains("ENOSPC") || text.lowercased().contains("full"), "unclear: \(text)")
        // While the disk stays full, calls fail clearly (the log's write, or the recovery
        // before it); one may fit in what the cut of the failed frame freed.
        for attempt in 0..<3 {
            let items = [ItemFactory.user("while full \(attempt)")]
            do {
                if let sequence = try await session.append(items) {
                    acknowledged.append((sequence, items))
                }
            } catch let refused as LedgerError {
                #expect([.io, .sqlite, .writerFailed].contains(refused.code), "\(refused)")
            }
        }
        do {
            #expect(try await session.items() == acknowledged.flatMap(\.items), "unacknowledged items are visible")
        } catch let reading as LedgerError {
            // A read model left behind acknowledged writes answers no query until it catches up
            // from the log, which fails while the disk stays full.
            #expect(reading.code == .writerFailed, "\(reading)")
        }
        // The disk grows (space freed): the same store recovers and takes writes again, within
        // the log's recovery interval.
        let remounted = try await Tmpfs.resize(mountPoint, to: "16m")
        #expect(remounted.ok, "remount: \(remounted.error)")
        let after = [ItemFactory.user("after the disk grew")]
        var lastError: LedgerError?
        // A call after every wait, the last one too: a task the pool wakes past the deadline
        // must try once more rather than report the refusal it met before its wait.
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            do {
                if let sequence = try await session.append(after) {
                    acknowledged.append((sequence, after))
                }
                lastError = nil
                break
            } catch let error as LedgerError {
                lastError = error
                guard ContinuousClock.now < deadline else {
                    break
                }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        #expect(lastError == nil, "the store did not take writes again: \(String(describing: lastError))")
        #expect(try await session.items() == acknowledged.flatMap(\.items))
        try await ledger.close()
        let reopened = try await Ledger.open(at: store, options: LedgerOptions(durability: .fsync))
        let events = try await ReliabilityHelpers.events(reopened)
        #expect(
            events.map(\.sequence) == acknowledged.map(\.sequence),
            "the log holds \(events.count) events, \(acknowledged.count) were acknowledged; the failing call got: \(text)"
        )
        #expect(try await reopened.session("full").items().count == events.count)
        let verification = try await Ledger.verifyLog(at: store)
        #expect(verification.isIntact, "\(verification.problems)")
        #expect(try await reopened.verifyReadModel() == [])
        try await reopened.close()
        print(
            "RELIABILITY full disk: \(acknowledged.count) calls acknowledged on a 2 MiB tmpfs, then \(error.code): "
                + "\(error.message.prefix(160)); took writes again once the disk grew, without a reopen; "
                + "reopened with \(events.count) events"
        )
    }
}
