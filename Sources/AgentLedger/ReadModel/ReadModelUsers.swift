import Glibc
import Synchronization

/// Who else has the read model open: another handle of this process (a registry of the open
/// ``ReadModel``s), or another process (a probe of SQLite's locks).
///
/// Every SQLite connection to a WAL database keeps a shared POSIX lock on one byte of its
/// `-shm` file, the "DMS" byte at offset 128 (after the WAL's eight locks at 120–127; SQLite
/// uses it to tell whether it is the first connection). A write lock that conflicts with
/// nothing there means no connection in another process is open; this process's own locks
/// never conflict with its own test.
enum ReadModelUsers {
    /// The byte of the `-shm` file each open connection keeps a shared lock on.
    static let dmsLockOffset: Int64 = 128

    /// How many ``ReadModel``s of this process have each file open, by ``key(_:)``.
    private static let openInThisProcess = Mutex<[String: Int]>([:])

    /// Records that this process opens a ``ReadModel`` at `path`.
    static func opened(_ path: String) {
        let key = key(path)
        openInThisProcess.withLock { $0[key, default: 0] += 1 }
    }

    /// Records that this process closed a ``ReadModel`` at `path`.
    static func closed(_ path: String) {
        let key = key(path)
        openInThisProcess.withLock { models in
            let remaining = (models[key] ?? 1) - 1
            models[key] = remaining > 0 ? remaining : nil
        }
    }

    /// `path` with its directory's symbolic links resolved, so that two spellings of one store
    /// match (the file itself may not exist yet).
    static func key(_ path: String) -> String {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        guard let resolved = realpath(directory, nil) else {
            return path
        }
        defer { free(resolved) }
        return String(cString: resolved) + "/" + name
    }

    /// "process 123", or "process 123 (this process)" for this one: for messages.
    static func describe(_ pid: pid_t) -> String {
        pid == getpid() ? "process \(pid) (this process)" : "process \(pid)"
    }

    /// The process, this one or another, that has the read model at `path` open besides the
    /// caller, which must not have it open itself: this process's pid when another handle
    /// here has it open (another ``Ledger`` on the same store, which a file renamed over it
    /// would leave reading the old one), else ``otherProcess(usingDatabaseAt:)``, which is not
    /// asked then, since its probe would drop that handle's locks.
    static func anyOtherUser(ofDatabaseAt path: String) -> pid_t? {
        let key = key(path)
        // Under the lock: a handle of this process that opens meanwhile waits for the probe to
        // close its descriptor before its connections take their locks.
        return openInThisProcess.withLock { models in
            models[key] != nil ? getpid() : otherProcess(usingDatabaseAt: path)
        }
    }

    /// The pid of a process other than this one that has the read model at `path` open, if
    /// any. A missing `-shm` file means none; an error reading the lock counts as "maybe",
    /// and gives this process's own pid.
    ///
    /// Call it only while this process has no connection to that read model: it opens and
    /// closes the `-shm` file, and closing any descriptor of a file drops every POSIX lock the
    /// process holds on it, SQLite's included. A connection left without its lock on the DMS
    /// byte lets the next process to open the model take itself for the first and reset the
    /// `-shm` file under it.
    static func otherProcess(usingDatabaseAt path: String) -> pid_t? {
        let shm = path + "-shm"
        guard access(shm, F_OK) == 0 else {
            return nil
        }
        do {
            let descriptor = try Syscalls.openFile(shm, flags: O_RDONLY)
            defer { try? Syscalls.closeFile(descriptor, path: shm) }
            return try Syscalls.conflictingLockHolder(descriptor, offset: dmsLockOffset, length: 1, path: shm)
        } catch {
            return getpid()
        }
    }
}
