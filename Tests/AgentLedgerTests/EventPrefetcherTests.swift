import AgentLedgerTestSupport
import Foundation
import Testing

@testable import AgentLedger

/// The replay's read-ahead thread: order, the end, damage, and stopping early.
@Suite("Event prefetcher")
struct EventPrefetcherTests {
    /// More events than the read-ahead holds (6 batches of 512), one frame each.
    static let eventCount: UInt64 = 4_000

    static func store() async throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        let ledger = try await Ledger.open(at: directory.path, options: LedgerOptions(durability: .none))
        let session = ledger.session("s")
        for index in 0..<eventCount {
            try await session.addItems([ItemFactory.user("message \(index)")])
        }
        try await ledger.close()
        return directory
    }

    @Test("every event once, in order, then nil again and again; a range is respected")
    func order() async throws {
        let directory = try await Self.store()
        let all = EventPrefetcher(directory: directory.path, from: 1, through: Self.eventCount)
        var sequences: [UInt64] = []
        while let batch = try all.next() {
            sequences += batch.map(\.sequence)
        }
        #expect(sequences == Array(1...Self.eventCount))
        #expect(try all.next() == nil)
        #expect(try all.next() == nil)

        let range = EventPrefetcher(directory: directory.path, from: 700, through: 2_100)
        var ranged: [UInt64] = []
        while let batch = try range.next() {
            ranged += batch.map(\.sequence)
        }
        #expect(ranged == Array(700...2_100))
    }

    @Test("a replay that gives up with batches still queued releases the reader cleanly")
    func stopEarly() async throws {
        let directory = try await Self.store()
        for consumed in [0, 1, 3] {
            var prefetcher: EventPrefetcher? = EventPrefetcher(
                directory: directory.path,
                from: 1,
                through: Self.eventCount
            )
            for _ in 0..<consumed {
                #expect(try prefetcher?.next()?.isEmpty == false)
            }
            // Let the reader fill its queue, then stop with it full: freeing the semaphores
            // then used to abort the process (libdispatch refuses a semaphore freed below its
            // initial value). 4,000 events fill it whatever was consumed (3 batches taken leave
            // 4 full ones, a partial one and the end).
            let deadline = ContinuousClock.now + .seconds(30)
            while (prefetcher?.queuedElements ?? 0) < EventPrefetcher.capacityBatches && ContinuousClock.now < deadline
            {
                try await Task.sleep(for: .milliseconds(5))
            }
            #expect(prefetcher?.queuedElements == EventPrefetcher.capacityBatches, "consumed \(consumed)")
            prefetcher?.stop()
            prefetcher = nil
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    @Test("damage: the events before it, then the error, and the same error on every later call")
    func damage() async throws {
        let directory = try await Self.store()
        let frames = try LogTestHelpers.readAll(directory.path)
        let damaged = frames[2_500]
        let path = directory.path + "/log/" + damaged.location.segment
        var bytes = try #require(FileManager.default.contents(atPath: path))
        bytes[Int(damaged.location.offset) + 70] ^= 0x5A
        try bytes.write(to: URL(fileURLWithPath: path))

        let prefetcher = EventPrefetcher(directory: directory.path, from: 1, through: Self.eventCount)
        var sequences: [UInt64] = []
        var failure: LedgerError?
        do {
            while let batch = try prefetcher.next() {
                sequences += batch.map(\.sequence)
            }
        } catch let error as LedgerError {
            failure = error
        }
        #expect(sequences == Array(1..<damaged.firstSequence))
        #expect(failure?.code == .corruptLog)
        #expect(failure?.location?.segment == damaged.location.segment)
        #expect(throws: LedgerError.self) { try prefetcher.next() }
    }
}
