import AgentLedgerTestSupport
import Foundation
import Testing

@testable import AgentLedger

/// The store's writer lock names its holder from the kernel's lock table, not only from the pid
/// record in `LOCK`, which the winner of a race writes a moment after taking the lock.
@Suite("Store lock")
struct StoreLockTests {
    @Test("the holder is read from /proc/locks, even when LOCK names another live process")
    func holderFromKernel() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/" + StoreLock.fileName
        #expect(StoreLock.lockHolder(ofFileAt: path) == nil, "no file yet")

        let lock = try StoreLock.acquire(directory: directory.path, fileSystem: SystemFileSystem())
        #expect(StoreLock.lockHolder(ofFileAt: path) == getpid())
        // A stale record naming a live process (pid 1) must not mislead a refused writer.
        try Data("1\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: LedgerError.self) {
            do {
                _ = try StoreLock.acquire(directory: directory.path, fileSystem: SystemFileSystem())
            } catch let error as LedgerError {
                #expect(error.code == .storeLocked)
                #expect(error.message.contains("(pid \(getpid()), this process)"), "\(error.message)")
                throw error
            }
        }
        lock.release()
        #expect(StoreLock.lockHolder(ofFileAt: path) == nil, "released")
    }
}
