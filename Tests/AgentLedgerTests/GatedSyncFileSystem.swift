import AgentLedger
import Dispatch
import Synchronization

/// The real file system, except that while armed each `fdatasync` of the log waits until the
/// test opens the gate, so that a test knows a group commit is in flight while it queues more.
final class GatedSyncFileSystem: LogFileSystem {
    private let base = SystemFileSystem()
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

    func syncData(_ file: LogFileHandle) throws {
        if armed.load(ordering: .acquiring) {
            entered.add(1, ordering: .releasing)
            gate.wait()
        }
        try base.syncData(file)
    }

    func openFile(atPath path: String, mode: LogFileOpenMode) throws -> LogFileHandle {
        try base.openFile(atPath: path, mode: mode)
    }

    func closeFile(_ file: LogFileHandle) {
        base.closeFile(file)
    }

    func read(_ file: LogFileHandle, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int {
        try base.read(file, into: buffer, at: offset)
    }

    func write(_ file: LogFileHandle, _ bytes: UnsafeRawBufferPointer, at offset: Int64) throws {
        try base.write(file, bytes, at: offset)
    }

    func sync(_ file: LogFileHandle) throws {
        try base.sync(file)
    }

    func truncate(_ file: LogFileHandle, toSize size: Int64) throws {
        try base.truncate(file, toSize: size)
    }

    func size(of file: LogFileHandle) throws -> Int64 {
        try base.size(of: file)
    }

    func tryLockExclusive(_ file: LogFileHandle) throws -> Bool {
        try base.tryLockExclusive(file)
    }

    func syncDirectory(atPath path: String) throws {
        try base.syncDirectory(atPath: path)
    }

    func contentsOfDirectory(atPath path: String) throws -> [String] {
        try base.contentsOfDirectory(atPath: path)
    }

    func createDirectory(atPath path: String) throws -> Bool {
        try base.createDirectory(atPath: path)
    }

    func removeFile(atPath path: String) throws {
        try base.removeFile(atPath: path)
    }
}
