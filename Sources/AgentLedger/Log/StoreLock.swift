import Glibc

/// The writer's exclusive lock on a store: an `flock` on `<store>/LOCK`, held for as long as the
/// file stays open. The file holds the owner's process id, for the message another writer gets.
///
/// `flock` locks belong to an open file description, so a second open in the same process is
/// refused just like one in another process. The lock ends when the file is closed, including
/// when the process dies.
final class StoreLock {
    /// The lock file's name inside the store directory.
    static let fileName = "LOCK"

    private let fileSystem: any LogFileSystem
    private let handle: LogFileHandle
    private var isReleased = false

    private init(fileSystem: any LogFileSystem, handle: LogFileHandle) {
        self.fileSystem = fileSystem
        self.handle = handle
    }

    deinit {
        release()
    }

    /// Takes the lock of the store at `directory`, or throws ``LedgerError/Code/storeLocked``
    /// at once when another writer holds it.
    static func acquire(directory: String, fileSystem: any LogFileSystem) throws -> StoreLock {
        let path = directory + "/" + fileName
        let handle = try fileSystem.openFile(atPath: path, mode: .readWriteCreate)
        do {
            guard try lockAllowingForks(handle, fileSystem: fileSystem) else {
                let owner =
                    lockHolder(ofFileAt: path).map {
                        $0 == Syscalls.processID() ? "pid \($0), this process" : "pid \($0)"
                    }
                    ?? ownerDescription(handle, fileSystem: fileSystem)
                throw LedgerError(
                    .storeLocked,
                    "the store at \(directory) is locked by another writer (\(owner)); "
                        + "close the other writer, or open the store read-only"
                )
            }
            // One write of a fixed width, never an empty file: a writer refused meanwhile reads
            // either the previous owner's pid or ours, and checks that the pid is alive.
            var text = "\(Syscalls.processID())"
            text += String(repeating: " ", count: max(0, pidFieldBytes - 1 - text.utf8.count)) + "\n"
            let pid = Array(text.utf8)
            try pid.withUnsafeBytes { try fileSystem.write(handle, $0, at: 0) }
            try fileSystem.truncate(handle, toSize: Int64(pid.count))
        } catch {
            fileSystem.closeFile(handle)
            throw error
        }
        return StoreLock(fileSystem: fileSystem, handle: handle)
    }

    /// Releases the lock by closing the file; idempotent. The file itself stays.
    func release() {
        if !isReleased {
            isReleased = true
            fileSystem.closeFile(handle)
        }
    }

    /// Takes the flock, retrying for up to 250 ms while the record names this process: another
    /// thread that spawns a child process duplicates every descriptor (ours too) until the
    /// child's `exec` closes them, so for that instant our own lock looks held. A real second
    /// open in this process still fails after the wait.
    private static func lockAllowingForks(_ handle: LogFileHandle, fileSystem: any LogFileSystem) throws -> Bool {
        for _ in 0..<50 {
            if try fileSystem.tryLockExclusive(handle) {
                return true
            }
            var bytes = [UInt8](repeating: 0, count: 32)
            let count = (try? bytes.withUnsafeMutableBytes { try fileSystem.read(handle, into: $0, at: 0) }) ?? 0
            let text = String(decoding: bytes.prefix(count), as: UTF8.self)
            guard let word = text.split(whereSeparator: \.isWhitespace).first, Int32(word) == Syscalls.processID()
            else {
                return false
            }
            usleep(5000)
        }
        return false
    }

    /// The process that holds the `flock` on the file at `path`, as the kernel lists it in
    /// `/proc/locks`; `nil` when that cannot be told (no such file, not Linux, no live holder
    /// listed). The pid written in `LOCK` can be stale for a moment: the winner of a race writes
    /// it just after taking the lock, and the previous writer may still be alive.
    static func lockHolder(ofFileAt path: String) -> Int32? {
        var info = stat()
        guard stat(path, &info) == 0, let fd = fopen("/proc/locks", "r") else {
            return nil
        }
        defer { fclose(fd) }
        var lines: [String] = []
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, fd) > 0, let line {
            lines.append(String(cString: line))
        }
        return ProcLocks.flockHolder(
            in: lines,
            of: ProcLocks.LockedFile(device: UInt64(info.st_dev), inode: UInt64(info.st_ino)),
            isAlive: { kill($0, 0) == 0 || errno == EPERM }
        )
    }

    /// The width of the pid record in `LOCK`, newline included.
    static let pidFieldBytes = 21

    /// `pid 1234`, `pid 1234, this process`, or `pid unknown`. The holder writes its pid just
    /// after taking the lock, so this reads again for up to 200 ms until it finds a live process.
    private static func ownerDescription(_ handle: LogFileHandle, fileSystem: any LogFileSystem) -> String {
        for attempt in 0..<40 {
            var bytes = [UInt8](repeating: 0, count: 32)
            let count = (try? bytes.withUnsafeMutableBytes { try fileSystem.read(handle, into: $0, at: 0) }) ?? 0
            let text = String(decoding: bytes.prefix(count), as: UTF8.self)
            if let word = text.split(whereSeparator: \.isWhitespace).first, let pid = Int32(word),
                pid == Syscalls.processID() || kill(pid, 0) == 0 || errno == EPERM
            {
                return pid == Syscalls.processID() ? "pid \(pid), this process" : "pid \(pid)"
            }
            if attempt < 39 {
                usleep(5000)
            }
        }
        return "pid unknown"
    }
}
