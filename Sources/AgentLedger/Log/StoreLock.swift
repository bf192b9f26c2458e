import Glibc

/// The writer's exclusive lock on a store: an `flock` on `<store>/LOCK`, held for as long as the
/// file stays open. The file holds the owner's process id, for the message a refused opener gets.
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

    /// What an error about a store directory this process cannot write adds.
    static let readOnlyDirectoryHint =
        ". Opening a store writes to its directory, even to read it (the lock, and the read "
        + "model's shared memory); `agentledger checkout --as-of-seq N --into DIR` only reads the store, "
        + "to copy it somewhere writable"

    /// Takes the lock of the store at `directory`, or throws ``LedgerError/Code/storeLocked``
    /// at once when another opener (a writer, or a reader catching up the read model) holds it.
    static func acquire(directory: String, fileSystem: any LogFileSystem) throws -> StoreLock {
        let path = directory + "/" + fileName
        let handle: LogFileHandle
        do {
            handle = try fileSystem.openFile(atPath: path, mode: .readWriteCreate)
        } catch let error as LedgerError {
            guard let cause = error.underlying as? SystemCallError, [EROFS, EACCES, EPERM].contains(cause.errno) else {
                throw error
            }
            throw LedgerError(error.code, error.message + readOnlyDirectoryHint, underlying: cause)
        }
        do {
            guard try lockAllowingForks(handle, fileSystem: fileSystem) else {
                // The holder is a writer, or a reader that opened the store to repair it or
                // catch up its read model (the command line's reading commands do): say both.
                let holder = lockHolder(ofFileAt: path) ?? ownerPID(handle, fileSystem: fileSystem)
                let owner =
                    switch holder {
                    case .some(let pid) where pid == Syscalls.processID(): "another Ledger of this process (pid \(pid))"
                    case .some(let pid): "another process (pid \(pid))"
                    case .none: "another process (pid unknown)"
                    }
                throw LedgerError(
                    .storeLocked,
                    "the store at \(directory) is locked by \(owner) that writes to it or rebuilds its read model; "
                        + "wait for it to finish, or open the store read-only"
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
    ///
    /// The table is read up to ``procLocksReads`` times until it lists a holder: the kernel
    /// prints it a page per `read`, resuming by position, so while other locks come and go (a
    /// busy process opening and closing stores) one pass can skip a line.
    static func lockHolder(
        ofFileAt path: String,
        readTable: () -> [String]? = { readProcLocks() }
    ) -> Int32? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            return nil
        }
        let file = ProcLocks.LockedFile(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
        for _ in 0..<procLocksReads {
            guard let lines = readTable() else {
                return nil
            }
            if let holder = ProcLocks.flockHolder(in: lines, of: file, isAlive: { kill($0, 0) == 0 || errno == EPERM })
            {
                return holder
            }
        }
        return nil
    }

    /// How many passes over `/proc/locks` ``lockHolder(ofFileAt:readTable:)`` makes at most.
    static let procLocksReads = 5

    /// The lines of `/proc/locks`; `nil` when it cannot be read. Read in calls of 256 KiB, not
    /// through stdio's 1 KiB buffer for `/proc` files: each `read` is one consistent pass of
    /// the kernel over up to a page of the table, and fewer of them skip fewer lines (a probe
    /// with SQLite-like lock churn: a held lock missing from 20% of passes read 1 KiB at a time,
    /// from 1.7% read at once).
    static func readProcLocks() -> [String]? {
        let descriptor = open("/proc/locks", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            return nil
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 256 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR {
                continue
            }
            guard count > 0 else {
                return count == 0 ? String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init) : nil
            }
            bytes += chunk[..<count]
        }
    }

    /// The width of the pid record in `LOCK`, newline included.
    static let pidFieldBytes = 21

    /// The process id recorded in the lock file when it names a live process (or this one),
    /// else `nil`. The holder writes its pid just after taking the lock, so this reads again for
    /// up to 200 ms until it finds a live process.
    private static func ownerPID(_ handle: LogFileHandle, fileSystem: any LogFileSystem) -> Int32? {
        for attempt in 0..<40 {
            var bytes = [UInt8](repeating: 0, count: 32)
            let count = (try? bytes.withUnsafeMutableBytes { try fileSystem.read(handle, into: $0, at: 0) }) ?? 0
            let text = String(decoding: bytes.prefix(count), as: UTF8.self)
            if let word = text.split(whereSeparator: \.isWhitespace).first, let pid = Int32(word),
                pid == Syscalls.processID() || kill(pid, 0) == 0 || errno == EPERM
            {
                return pid
            }
            if attempt < 39 {
                usleep(5000)
            }
        }
        return nil
    }
}
