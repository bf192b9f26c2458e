import AgentLedger
import AgentLedgerTestSupport
import Dispatch
import Synchronization

/// The real file system, except that while armed each `fdatasync` of the log waits until the
/// test opens the gate, so that a test knows a group commit is in flight while it queues more.
final class GatedSyncFileSystem: ForwardingFileSystem, @unchecked Sendable {  // atomics and a semaphore
    private let armed = Atomic<Bool>(false)
    private let entered = Atomic<Int>(0)
    private let gate = DispatchSemaphore(value: 0)

    /// From now on every `fdatasync` waits for ``open()``.
    func arm() {
        armed.store(true, ordering: .releasing)
    }

    /// Disarms, and lets a waiting `fdatasync` (and any that comes later) go on.
    func open() {
        armed.store(false, ordering: .releasing)
        gate.signal()
    }

    /// `fdatasync` calls that have waited at the gate so far.
    var waitedCount: Int { entered.load(ordering: .acquiring) }

    override func syncData(_ file: LogFileHandle) throws {
        if armed.load(ordering: .acquiring) {
            entered.add(1, ordering: .releasing)
            gate.wait()
        }
        try super.syncData(file)
    }
}
