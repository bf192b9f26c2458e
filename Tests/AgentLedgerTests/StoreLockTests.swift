import AgentLedgerTestSupport
import Foundation
import GRDB
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
                #expect(
                    error.message.contains("another Ledger of this process (pid \(getpid()))"),
                    "\(error.message); /proc/locks: \((try? String(contentsOfFile: "/proc/locks", encoding: .utf8)) ?? "unreadable")"
                )
                throw error
            }
        }
        lock.release()
        // A process another test spawns at that moment holds a copy of the descriptor until it
        // runs exec, which closes it (O_CLOEXEC): only then does the kernel drop the lock.
        let deadline = ContinuousClock.now + .seconds(5)
        while StoreLock.lockHolder(ofFileAt: path) != nil && ContinuousClock.now < deadline {
            usleep(1_000)
        }
        #expect(StoreLock.lockHolder(ofFileAt: path) == nil, "released")
    }

    /// `/proc/locks` lines; the lock file is `fe:00:4242`.
    static let file = ProcLocks.LockedFile(major: 0xfe, minor: 0, inode: 4242)

    @Test("a pass over /proc/locks that skipped the holder's line is read again")
    func holderReadAgainWhenSkipped() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/" + StoreLock.fileName
        let lock = try StoreLock.acquire(directory: directory.path, fileSystem: SystemFileSystem())
        defer { lock.release() }
        let table = try #require(StoreLock.readProcLocks())
        #expect(StoreLock.lockHolder(ofFileAt: path, readTable: { table }) == getpid())
        // The kernel prints the table a page per read; lines shift as other locks go.
        var passes = 0
        let holder = StoreLock.lockHolder(
            ofFileAt: path,
            readTable: {
                passes += 1
                return passes < 3 ? [] : table
            }
        )
        #expect(holder == getpid(), "the third pass lists the holder")
        #expect(passes == 3)
        passes = 0
        #expect(
            StoreLock.lockHolder(
                ofFileAt: path,
                readTable: {
                    passes += 1
                    return []
                }
            ) == nil
        )
        #expect(passes == StoreLock.procLocksReads && passes >= 3)
        #expect(StoreLock.lockHolder(ofFileAt: path, readTable: { nil }) == nil)
    }

    @Test("an inode on another device is not the lock file, even listed first")
    func holderMatchesTheDevice() {
        let lines = [
            "1: FLOCK  ADVISORY  WRITE 100 00:1b:4242 0 EOF",
            "2: POSIX  ADVISORY  WRITE 101 fe:00:4242 0 EOF",
            "3: FLOCK  ADVISORY  WRITE 102 fe:00:4243 0 EOF",
            "4: FLOCK  ADVISORY  WRITE 103 fe:00:4242 0 EOF",
        ]
        #expect(ProcLocks.flockHolder(in: lines, of: Self.file, isAlive: { _ in true }) == 103)
    }

    @Test("waiters and dead holders are skipped")
    func holderSkipsWaitersAndTheDead() {
        let lines = [
            "1: FLOCK  ADVISORY  WRITE 200 fe:00:4242 0 EOF",
            "1: -> FLOCK  ADVISORY  WRITE 201 fe:00:4242 0 EOF",
            "2: FLOCK  ADVISORY  WRITE 202 fe:00:4242 0 EOF",
        ]
        #expect(ProcLocks.flockHolder(in: lines, of: Self.file, isAlive: { $0 != 200 }) == 202)
        #expect(ProcLocks.flockHolder(in: lines, of: Self.file, isAlive: { _ in false }) == nil)
    }

    @Test("with no line on the same device, one line with the inode is taken, two are not")
    func holderFallsBackToOneInodeMatch() {
        let one = ["1: FLOCK  ADVISORY  WRITE 300 00:2f:4242 0 EOF"]
        #expect(ProcLocks.flockHolder(in: one, of: Self.file, isAlive: { _ in true }) == 300)
        let two = one + ["2: FLOCK  ADVISORY  WRITE 301 00:30:4242 0 EOF"]
        #expect(ProcLocks.flockHolder(in: two, of: Self.file, isAlive: { _ in true }) == nil)
        #expect(ProcLocks.flockHolder(in: ["garbage", ""], of: Self.file, isAlive: { _ in true }) == nil)
    }

    @Test("st_dev splits into major and minor as /proc/locks prints them")
    func deviceNumbers() throws {
        #expect(ProcLocks.LockedFile(device: 0xfe00, inode: 7) == ProcLocks.LockedFile(major: 0xfe, minor: 0, inode: 7))
        // glibc's encoding of major 0x1234, minor 0x56789.
        let device: UInt64 = (0x234 << 8) | (0x1000 << 32) | 0x89 | (0x56700 << 12)
        #expect(
            ProcLocks.LockedFile(device: device, inode: 7)
                == ProcLocks.LockedFile(major: 0x1234, minor: 0x56789, inode: 7)
        )
        let field: Substring = "103:1a:99"
        #expect(
            ProcLocks.LockedFile(procLocksField: field) == ProcLocks.LockedFile(major: 0x103, minor: 0x1a, inode: 99)
        )
        #expect(ProcLocks.LockedFile(procLocksField: "fe:00") == nil)
    }

    @Test("a store that cannot be written (read-only file system, no permission) says how to copy it out")
    func unwritableStore() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for code in [EROFS, EACCES] {
            let fileSystem = FaultyFileSystem()
            fileSystem.inject(.fail(errno: code), on: .open, number: 1, pathSuffix: "/" + StoreLock.fileName)
            let error = try #require(throws: LedgerError.self) {
                _ = try StoreLock.acquire(directory: directory.path, fileSystem: fileSystem)
            }
            #expect(error.code == .io)
            #expect(error.message.contains("Opening a store writes to its directory, even to read it"))
            #expect(error.message.contains("agentledger checkout"))
        }
        let fileSystem = FaultyFileSystem()
        fileSystem.inject(.fail(errno: EIO), on: .open, number: 1, pathSuffix: "/" + StoreLock.fileName)
        let other = try #require(throws: LedgerError.self) {
            _ = try StoreLock.acquire(directory: directory.path, fileSystem: fileSystem)
        }
        #expect(!other.message.contains("checkout"), "only a store that cannot be written gets the advice")
    }

    @Test("the read model's open failing in a directory this process cannot write says how to copy the store out")
    func unwritableReadModelDirectory() throws {
        let cannotOpen = DatabaseError(resultCode: .SQLITE_CANTOPEN, message: "unable to open database file")
        // /proc/1 cannot be written, not even by root.
        let unwritable = try #require(ReadModelBuilder.environmentFailure(cannotOpen, path: "/proc/1/views.sqlite"))
        #expect(unwritable.code == .io)
        #expect(unwritable.message.contains("Opening a store writes to its directory, even to read it"))
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let writable = try #require(
            ReadModelBuilder.environmentFailure(cannotOpen, path: directory.path + "/views.sqlite")
        )
        #expect(!writable.message.contains("checkout"), "only a directory that cannot be written gets the advice")
    }
}
