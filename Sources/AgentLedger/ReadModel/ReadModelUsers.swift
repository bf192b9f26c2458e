import Glibc

/// Whether other processes have the read model open.
///
/// Every SQLite connection to a WAL database keeps a shared POSIX lock on one byte of its
/// `-shm` file, the "DMS" byte at offset 128 (after the WAL's eight locks at 120–127; SQLite
/// uses it to tell whether it is the first connection). A write lock that conflicts with
/// nothing there means no connection in another process is open; this process's own locks
/// never conflict with its own test.
enum ReadModelUsers {
    /// The byte of the `-shm` file each open connection keeps a shared lock on.
    static let dmsLockOffset: Int64 = 128

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
