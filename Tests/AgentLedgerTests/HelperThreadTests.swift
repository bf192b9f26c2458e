import Foundation
import Synchronization
import Testing

@testable import AgentLedger

/// The writer's helper thread: items run in order, one at a time, and `drain` returns only once
/// every item handed over has run.
@Suite("Helper thread")
struct HelperThreadTests {
    final class Record: Sendable {
        let ran = Mutex<[Int]>([])
        let running = Atomic<Int>(0)
        let overlapped = Atomic<Bool>(false)
    }

    @Test("items run in order, never two at once, and drain waits for the last one")
    func orderAndDrain() {
        let record = Record()
        let helper = HelperThread<Int>(name: "test-helper")
        helper.start { value in
            if record.running.add(1, ordering: .acquiringAndReleasing).newValue > 1 {
                record.overlapped.store(true, ordering: .relaxed)
            }
            if value % 50 == 49 {
                // The last item of a round is slow: drain must wait for an item that is running,
                // not only for the queue to empty.
                usleep(5_000)
            }
            record.ran.withLock { $0.append(value) }
            record.running.subtract(1, ordering: .acquiringAndReleasing)
        }
        for round in 0..<5 {
            for value in 0..<50 {
                helper.submit(round * 50 + value)
            }
            helper.drain()
            #expect(record.ran.withLock { $0 } == Array(0..<(round + 1) * 50), "after drain \(round + 1)")
        }
        let overlapped = record.overlapped.load(ordering: .relaxed)
        #expect(!overlapped, "two items ran at once")
        helper.stop()
        helper.stop()
    }

    @Test("stop runs what is still waiting before the thread ends")
    func stopRunsTheRest() {
        let record = Record()
        let helper = HelperThread<Int>(name: "test-helper-stop")
        helper.start { value in
            usleep(200)
            record.ran.withLock { $0.append(value) }
        }
        for value in 0..<20 {
            helper.submit(value)
        }
        helper.stop()
        #expect(record.ran.withLock { $0 } == Array(0..<20))
    }
}
