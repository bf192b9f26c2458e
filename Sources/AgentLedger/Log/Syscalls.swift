#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The one place where the log layer calls the C library for file I/O.
///
/// Each wrapper is thin: it makes the call, retries it when it was interrupted by a signal
/// (`EINTR`) where a retry is safe, and turns a failure into a ``LedgerError`` with code
/// ``LedgerError/Code/io`` whose message names the operation, the path and the `errno` text
/// (so `ENOSPC` and `EIO` are visible), with a ``SystemCallError`` as the underlying error.
///
/// `fsync` and `fdatasync` are never retried, not even after `EINTR`: after a failed flush the
/// kernel may already have dropped the dirty pages and marked them clean, so a retry that
/// "succeeds" would lie (the PostgreSQL fsync lesson). The caller must treat the data as lost.
enum Syscalls {
    /// The permission bits of files the log creates (`rw-r--r--`, before the umask).
    static let fileMode: mode_t = 0o644
    /// The permission bits of directories the log creates (`rwxr-xr-x`, before the umask).
    static let directoryMode: mode_t = 0o755

    /// Opens a file and returns its descriptor; `O_CLOEXEC` is always added.
    ///
    /// The corresponding C function is `open(2)`.
    static func openFile(_ path: String, flags: Int32, mode: mode_t = fileMode) throws(LedgerError) -> Int32 {
        while true {
            let descriptor = path.withCString { cPath in
                open(cPath, flags | O_CLOEXEC, mode)
            }
            if descriptor >= 0 {
                return descriptor
            }
            let code = errno
            if code != EINTR {
                throw failure("open", path, code)
            }
        }
    }

    /// Closes a descriptor. Not retried after `EINTR` (on Linux the descriptor is closed anyway,
    /// and a retry could close a descriptor another thread just opened).
    ///
    /// The corresponding C function is `close(2)`.
    static func closeFile(_ descriptor: Int32, path: @autoclosure () -> String) throws(LedgerError) {
        if close(descriptor) != 0 {
            let code = errno
            if code != EINTR {
                throw failure("close", path(), code)
            }
        }
    }

    /// Reads up to `buffer.count` bytes at `offset`, looping over short reads until the buffer
    /// is full or the end of the file is reached, and returns the number of bytes read.
    ///
    /// The corresponding C function is `pread(2)`.
    static func readFile(
        _ descriptor: Int32,
        into buffer: UnsafeMutableRawBufferPointer,
        at offset: Int64,
        path: @autoclosure () -> String
    ) throws(LedgerError) -> Int {
        var done = 0
        while done < buffer.count {
            let result = pread(
                descriptor,
                buffer.baseAddress! + done,
                buffer.count - done,
                off_t(offset + Int64(done))
            )
            if result > 0 {
                done += result
            } else if result == 0 {
                break
            } else {
                let code = errno
                if code != EINTR {
                    throw failure("pread", path(), code)
                }
            }
        }
        return done
    }

    /// Writes all of `bytes` at `offset`. A short write is continued with the rest; the usual
    /// case is one call. When a call fails after part of the bytes were written (a full disk),
    /// the written part stays in the file and the error is thrown.
    ///
    /// The corresponding C function is `pwrite(2)`.
    static func writeFile(
        _ descriptor: Int32,
        _ bytes: UnsafeRawBufferPointer,
        at offset: Int64,
        path: @autoclosure () -> String
    ) throws(LedgerError) {
        var done = 0
        while done < bytes.count {
            let result = pwrite(
                descriptor,
                bytes.baseAddress! + done,
                bytes.count - done,
                off_t(offset + Int64(done))
            )
            if result > 0 {
                done += result
            } else if result == 0 {
                // pwrite returning 0 for a non-empty buffer makes no progress: report it as EIO
                // rather than spinning.
                throw failure("pwrite", path(), EIO)
            } else {
                let code = errno
                if code != EINTR {
                    throw failure("pwrite", path(), code)
                }
            }
        }
    }

    /// Flushes the file's data and metadata to stable storage. Never retried.
    ///
    /// The corresponding C function is `fsync(2)`.
    static func syncFile(_ descriptor: Int32, path: @autoclosure () -> String) throws(LedgerError) {
        if fsync(descriptor) != 0 {
            let code = errno
            throw failure("fsync", path(), code)
        }
    }

    /// Flushes the file's data (and the metadata needed to read it back, such as its size) to
    /// stable storage. Never retried. On Darwin, where it is not available, this is `fsync`.
    ///
    /// The corresponding C function is `fdatasync(2)`.
    static func syncFileData(_ descriptor: Int32, path: @autoclosure () -> String) throws(LedgerError) {
        #if canImport(Darwin)
        if fsync(descriptor) != 0 {
            let code = errno
            throw failure("fsync", path(), code)
        }
        #else
        if fdatasync(descriptor) != 0 {
            let code = errno
            throw failure("fdatasync", path(), code)
        }
        #endif
    }

    /// Sets the file's size to `size` bytes.
    ///
    /// The corresponding C function is `ftruncate(2)`.
    static func truncateFile(_ descriptor: Int32, size: Int64, path: @autoclosure () -> String) throws(LedgerError) {
        while ftruncate(descriptor, off_t(size)) != 0 {
            let code = errno
            if code != EINTR {
                throw failure("ftruncate", path(), code)
            }
        }
    }

    /// Takes an exclusive advisory lock on the open file without waiting. Returns `false` when
    /// another open file description (in this or another process) holds it.
    ///
    /// The corresponding C function is `flock(2)` with `LOCK_EX | LOCK_NB`.
    static func tryLockExclusive(_ descriptor: Int32, path: @autoclosure () -> String) throws(LedgerError) -> Bool {
        while true {
            if flock(descriptor, LOCK_EX | LOCK_NB) == 0 {
                return true
            }
            let code = errno
            if code == EWOULDBLOCK {
                return false
            }
            if code != EINTR {
                throw failure("flock", path(), code)
            }
        }
    }

    /// The pid of another process holding a POSIX record lock that conflicts with a write lock
    /// on `length` bytes at `offset` of the open file; `nil` when none does (this process's own
    /// locks never conflict).
    ///
    /// The corresponding C function is `fcntl(2)` with `F_GETLK`.
    static func conflictingLockHolder(
        _ descriptor: Int32,
        offset: Int64,
        length: Int64,
        path: @autoclosure () -> String
    ) throws(LedgerError) -> pid_t? {
        var lock = flock()
        lock.l_type = Int16(F_WRLCK)
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = off_t(offset)
        lock.l_len = off_t(length)
        while fcntl(descriptor, F_GETLK, &lock) != 0 {
            let code = errno
            if code != EINTR {
                throw failure("fcntl(F_GETLK)", path(), code)
            }
        }
        return lock.l_type == Int16(F_UNLCK) ? nil : lock.l_pid
    }

    /// The size of the open file in bytes.
    ///
    /// The corresponding C function is `fstat(2)`.
    static func fileSize(_ descriptor: Int32, path: @autoclosure () -> String) throws(LedgerError) -> Int64 {
        var info = stat()
        if fstat(descriptor, &info) != 0 {
            let code = errno
            throw failure("fstat", path(), code)
        }
        return Int64(info.st_size)
    }

    /// Flushes a directory's entries (files created, renamed or removed in it) to stable
    /// storage: opens the directory read-only, calls `fsync` on it once, and closes it.
    ///
    /// The corresponding C functions are `open(2)` with `O_DIRECTORY` and `fsync(2)`.
    static func syncDirectory(_ path: String) throws(LedgerError) {
        let descriptor = try openFile(path, flags: O_RDONLY | O_DIRECTORY)
        defer { try? closeFile(descriptor, path: path) }
        try syncFile(descriptor, path: path)
    }

    /// The names of the entries of a directory, without `.` and `..`, in no particular order.
    ///
    /// The corresponding C functions are `opendir(3)`, `readdir(3)` and `closedir(3)`.
    static func listDirectory(_ path: String) throws(LedgerError) -> [String] {
        guard let directory = path.withCString({ opendir($0) }) else {
            throw failure("opendir", path, errno)
        }
        defer { _ = closedir(directory) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(directory) else {
                let code = errno
                if code != 0 {
                    throw failure("readdir", path, code)
                }
                return names
            }
            let name = withUnsafePointer(to: &entry.pointee.d_name) { pointer in
                String(cString: UnsafeRawPointer(pointer).assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." {
                names.append(name)
            }
        }
    }

    /// Creates a directory. Returns `false` when something already exists at `path`.
    ///
    /// The corresponding C function is `mkdir(2)`.
    static func makeDirectory(_ path: String, mode: mode_t = directoryMode) throws(LedgerError) -> Bool {
        if path.withCString({ mkdir($0, mode) }) == 0 {
            return true
        }
        let code = errno
        if code == EEXIST {
            return false
        }
        throw failure("mkdir", path, code)
    }

    /// Removes a file.
    ///
    /// The corresponding C function is `unlink(2)`.
    static func removeFile(_ path: String) throws(LedgerError) {
        if path.withCString({ unlink($0) }) != 0 {
            throw failure("unlink", path, errno)
        }
    }

    /// Removes an empty directory; a directory that holds anything is left, with an error.
    ///
    /// The corresponding C function is `rmdir(2)`.
    static func removeDirectory(_ path: String) throws(LedgerError) {
        if path.withCString({ rmdir($0) }) != 0 {
            throw failure("rmdir", path, errno)
        }
    }

    /// Renames `source` to `destination`, replacing `destination` when it is a file or an empty
    /// directory (a directory only over a directory). Returns `false`, changing nothing, when
    /// `destination` is a directory that is not empty.
    ///
    /// The corresponding C function is `rename(2)`.
    static func renameItem(_ source: String, to destination: String) throws(LedgerError) -> Bool {
        let result = source.withCString { from in destination.withCString { to in rename(from, to) } }
        if result == 0 {
            return true
        }
        let code = errno
        if code == ENOTEMPTY || code == EEXIST {
            return false
        }
        throw failure("rename to \(destination)", source, code)
    }

    /// Whether no process with identifier `pid` exists: `kill(pid, 0)` fails with `ESRCH`.
    /// A process that exists but belongs to another user (`EPERM`) counts as alive, and so does
    /// any other outcome: the answer errs on the side of a live process. (A process of another
    /// pid namespace is invisible here.)
    ///
    /// The corresponding C function is `kill(2)` with signal 0.
    static func processIsGone(_ pid: Int32) -> Bool {
        guard pid > 0 else {
            return false
        }
        return kill(pid, 0) == -1 && errno == ESRCH
    }

    /// The identifier of this process.
    ///
    /// The corresponding C function is `getpid(2)`.
    static func processID() -> Int32 {
        Int32(getpid())
    }

    /// The ``LedgerError`` for a failed call.
    static func failure(_ operation: String, _ path: String, _ code: Int32) -> LedgerError {
        SystemCallError(operation: operation, path: path, errno: code).ledgerError
    }
}
