import Dispatch
import Foundation
import Synchronization

/// Reads and decodes a range of the log's events on a thread of its own, ahead of the replay
/// that applies them, so that decompression and item validation overlap with the SQLite work.
/// The two cost about the same on a large rebuild; on two cores the replay then runs at the
/// pace of the slower one instead of their sum.
///
/// Decoded events travel in batches of at least ``batchEvents`` events or ``batchBytes`` bytes
/// of payload (so a log of one-event frames does not pay a handoff per event), and at most
/// ``capacityBatches`` batches wait in memory. An error reading or decoding the log is thrown
/// by ``next()`` after every event before it has been returned.
final class EventPrefetcher: Sendable {
    /// What the reading thread hands over.
    private enum Element {
        case events([LedgerEvent])
        case failure(any Error)
        case end
    }

    static let batchEvents = 512
    static let batchBytes = 4 << 20
    static let capacityBatches = 6

    private let queue = Mutex<[Element]>([])
    /// Counts the elements in ``queue``.
    private let filled = DispatchSemaphore(value: 0)
    /// Counts the free places in ``queue``. Created at zero and signalled up to capacity:
    /// libdispatch aborts when a semaphore is freed below its initial value, which a replay
    /// that stops early (leaving batches queued) would otherwise do.
    private let free = DispatchSemaphore(value: 0)
    private let stopped = Atomic<Bool>(false)
    /// What ``next()`` answers once the reading thread is finished: nil, or its error again.
    private let outcome = Mutex<Result<Void, any Error>?>(nil)

    /// Starts reading the events `first...last` of the log in `directory`.
    init(directory: String, from first: UInt64, through last: UInt64) {
        for _ in 0..<Self.capacityBatches {
            free.signal()
        }
        let thread = Thread { [self] in
            read(directory: directory, from: first, through: last)
        }
        thread.name = "agentledger-replay-reader"
        thread.start()
    }

    /// The next batch of events in order; `nil` after the last one.
    ///
    /// - Throws: the error that stopped the reading thread (``LedgerError`` with code
    ///   ``LedgerError/Code/corruptLog``, ``LedgerError/Code/unsupportedVersion`` or
    ///   ``LedgerError/Code/io``, naming the place).
    func next() throws -> [LedgerEvent]? {
        if let finished = outcome.withLock({ $0 }) {
            try finished.get()
            return nil
        }
        filled.wait()
        let element = queue.withLock { $0.removeFirst() }
        free.signal()
        switch element {
        case .events(let events):
            return events
        case .failure(let error):
            outcome.withLock { $0 = .failure(error) }
            throw error
        case .end:
            outcome.withLock { $0 = .success(()) }
            return nil
        }
    }

    /// Batches (and the end or the error) read and not yet taken by ``next()``: at most
    /// ``capacityBatches``. For tests that must stop a prefetcher whose queue is full.
    var queuedElements: Int {
        queue.withLock { $0.count }
    }

    /// Makes the reading thread stop at its next batch (call when the replay gives up early).
    func stop() {
        stopped.store(true, ordering: .releasing)
        free.signal()
    }

    private func read(directory: String, from first: UInt64, through last: UInt64) {
        var batch: [LedgerEvent] = []
        var batchPayloadBytes = 0
        do {
            let reader = try LogReader.open(directory: directory)
            var frames = reader.frames(from: first, through: last)
            while let frame = try frames.next() {
                let events = try EventCodec.decode(frame)
                batch.append(contentsOf: events.lazy.filter { $0.sequence >= first && $0.sequence <= last })
                batchPayloadBytes += frame.payload.count
                if batch.count >= Self.batchEvents || batchPayloadBytes >= Self.batchBytes {
                    guard hand(.events(batch)) else {
                        return
                    }
                    batch = []
                    batchPayloadBytes = 0
                }
                if frame.firstSequence + UInt64(frame.eventCount) > last {
                    break
                }
            }
            if !batch.isEmpty {
                guard hand(.events(batch)) else {
                    return
                }
            }
            _ = hand(.end)
        } catch {
            // The events decoded before the damage still go first.
            if !batch.isEmpty {
                guard hand(.events(batch)) else {
                    return
                }
            }
            _ = hand(.failure(error))
        }
    }

    /// Waits for a free place and queues `element`; false when the consumer has stopped.
    private func hand(_ element: Element) -> Bool {
        free.wait()
        if stopped.load(ordering: .acquiring) {
            return false
        }
        queue.withLock { $0.append(element) }
        filled.signal()
        return true
    }
}
