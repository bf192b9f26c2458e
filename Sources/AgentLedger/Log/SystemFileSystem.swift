#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The ``LogFileSystem`` of the operating system: every operation is one call (or a short
/// loop of calls) in ``Syscalls``. Handles are file descriptors.
///
/// Its only state is a table of the paths of open descriptors (guarded by a lock), read only to
/// name the file in an error message.
public struct SystemFileSystem: LogFileSystem {
    private let paths = OpenFilePaths()

    /// Creates the file system.
    public init() {}

    /// Opens the file with `open(2)`.
    public func openFile(atPath path: String, mode: LogFileOpenMode) throws -> LogFileHandle {
        let flags: Int32
        switch mode {
        case .readOnly:
            flags = O_RDONLY
        case .readWrite:
            flags = O_RDWR
        case .readWriteCreate:
            flags = O_RDWR | O_CREAT
        case .createNew:
            flags = O_RDWR | O_CREAT | O_EXCL
        }
        let descriptor = try Syscalls.openFile(path, flags: flags)
        if mode == .readWriteCreate || mode == .createNew {
            FileOwnership.adoptDirectoryOwner(of: descriptor, path: path)
        }
        paths.insert(descriptor, path)
        return LogFileHandle(rawValue: descriptor)
    }

    /// Closes the descriptor with `close(2)`; an error from `close` is ignored.
    public func closeFile(_ file: LogFileHandle) {
        let path = paths.remove(file.rawValue)
        try? Syscalls.closeFile(file.rawValue, path: path)
    }

    /// Reads with `pread(2)`.
    public func read(_ file: LogFileHandle, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int
    {
        try Syscalls.readFile(file.rawValue, into: buffer, at: offset, path: paths.path(file.rawValue))
    }

    /// Writes with `pwrite(2)`.
    public func write(_ file: LogFileHandle, _ bytes: UnsafeRawBufferPointer, at offset: Int64) throws {
        try Syscalls.writeFile(file.rawValue, bytes, at: offset, path: paths.path(file.rawValue))
    }

    /// Flushes with `fsync(2)`.
    public func sync(_ file: LogFileHandle) throws {
        try Syscalls.syncFile(file.rawValue, path: paths.path(file.rawValue))
    }

    /// Flushes with `fdatasync(2)`.
    public func syncData(_ file: LogFileHandle) throws {
        try Syscalls.syncFileData(file.rawValue, path: paths.path(file.rawValue))
    }

    /// Truncates with `ftruncate(2)`.
    public func truncate(_ file: LogFileHandle, toSize size: Int64) throws {
        try Syscalls.truncateFile(file.rawValue, size: size, path: paths.path(file.rawValue))
    }

    /// The size from `fstat(2)`.
    public func size(of file: LogFileHandle) throws -> Int64 {
        try Syscalls.fileSize(file.rawValue, path: paths.path(file.rawValue))
    }

    /// Locks with `flock(2)`.
    public func tryLockExclusive(_ file: LogFileHandle) throws -> Bool {
        try Syscalls.tryLockExclusive(file.rawValue, path: paths.path(file.rawValue))
    }

    /// Opens the directory and calls `fsync(2)` on it.
    public func syncDirectory(atPath path: String) throws {
        try Syscalls.syncDirectory(path)
    }

    /// Lists with `readdir(3)`.
    public func contentsOfDirectory(atPath path: String) throws -> [String] {
        try Syscalls.listDirectory(path)
    }

    /// Creates with `mkdir(2)`.
    public func createDirectory(atPath path: String) throws -> Bool {
        let created = try Syscalls.makeDirectory(path)
        if created {
            FileOwnership.adoptDirectoryOwner(ofFileAt: path)
        }
        return created
    }

    /// Removes with `unlink(2)`.
    public func removeFile(atPath path: String) throws {
        try Syscalls.removeFile(path)
    }
}
