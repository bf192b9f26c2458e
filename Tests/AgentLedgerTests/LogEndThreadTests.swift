import AgentLedger
import AgentLedgerTestSupport
import Dispatch
import Synchronization
import Testing

/// A log file system whose first read after ``arm()`` waits until ``release()``, or gives up
/// after 5 s and says so.
final class GatedReads: ForwardingFileSystem, @unchecked Sendable {  // state in atomics and a semaphore
    private let armed = Atomic<Bool>(false)
    private let gate = DispatchSemaphore(value: 0)
    /// Whether a gated read is waiting now.
    let waiting = Atomic<Bool>(false)
    /// Whether a gated read gave up waiting.
    let timedOut = Atomic<Bool>(false)

    /// Gates the next read; forgets a release that came when no read waited.
    func arm() {
        while gate.wait(timeout: .now()) == .success {}
        armed.store(true, ordering: .sequentiallyConsistent)
    }

    /// Lets the gated read go on.
    func release() {
        gate.signal()
    }

    /// Reads as the real file system does, once the gate lets the first read after ``arm()`` go.
    override func read(
        _ file: LogFileHandle,
        into buffer: UnsafeMutableRawBufferPointer,
        at offset: Int64
    ) throws -> Int {
        if armed.exchange(false, ordering: .sequentiallyConsistent) {
            waiting.store(true, ordering: .sequentiallyConsistent)
            if gate.wait(timeout: .now() + 5) == .timedOut {
                timedOut.store(true, ordering: .sequentiallyConsistent)
            }
            waiting.store(false, ordering: .sequentiallyConsistent)
        }
        return try super.read(file, into: buffer, at: offset)
    }
}

/// Whether a task has finished, for another task to see.
final class FinishedFlag: Sendable {
    /// True once it has.
    let value = Atomic<Bool>(false)
}

@Suite("A read-only handle reads the log's end off the cooperative pool")
struct LogEndThreadTests {
    @Test("eventsEnd() and readModelIsCurrent() read the log on a thread of their own")
    func logEndOffThePool() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let writer = try await store.open()
        try await writer.session("s").addItems([ItemFactory.user("one")])
        try await writer.close()
        let files = GatedReads()
        let reader = try await store.open {
            $0.readOnly = true
            $0.fileSystem = files
        }
        // The call and a task that releases the gated read share one thread: the release runs
        // only if the call's read of the log leaves that thread free while it waits.
        let executor = OneThreadExecutor()
        defer { executor.stop() }
        for name in ["eventsEnd", "readModelIsCurrent"] {
            files.arm()
            let finished = FinishedFlag()
            let call = Task(executorPreference: executor) { () -> Bool in
                defer { finished.value.store(true, ordering: .sequentiallyConsistent) }
                return name == "eventsEnd" ? try await reader.eventsEnd() == 1 : try await reader.readModelIsCurrent()
            }
            let releaser = Task(executorPreference: executor) {
                while !files.waiting.load(ordering: .sequentiallyConsistent)
                    && !finished.value.load(ordering: .sequentiallyConsistent)
                {
                    await Task.yield()
                }
                files.release()
            }
            #expect(try await call.value, "\(name)")
            await releaser.value
            let timedOut = files.timedOut.load(ordering: .sequentiallyConsistent)
            #expect(!timedOut, "\(name) held the thread while reading the log")
        }
        try await reader.close()
    }
}
