public import AgentLedger
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A ``LogFileSystem`` that keeps every file in memory: the fuzz tests run recovery, readers
/// and verification over thousands of damaged logs without touching the disk.
///
/// Paths are plain strings; a directory exists once created (or once a file is put under it).
/// Locks always succeed; syncs do nothing. Missing files throw the same `io` error as the
/// system file system would for `ENOENT`.
///
/// ```swift
/// let fileSystem = ReliabilityMemoryFileSystem(files: ["/s/log/00000000000000000001.seg": bytes])
/// let verification = LogReader.verify(directory: "/s", fileSystem: fileSystem)
/// ```
public final class ReliabilityMemoryFileSystem: LogFileSystem {
    private struct State {
        var files: [String: [UInt8]] = [:]
        var directories: Set<String> = []
        var handles: [Int32: String] = [:]
        var nextHandle: Int32 = 3
    }

    private let state: Mutex<State>

    /// Creates a file system holding `files` (full path → content); their directories exist.
    public init(files: [String: [UInt8]] = [:]) {
        var initial = State()
        initial.files = files
        for path in files.keys {
            var directory = Self.parent(of: path)
            while !directory.isEmpty && directory != "/" {
                initial.directories.insert(directory)
                directory = Self.parent(of: directory)
            }
        }
        state = Mutex(initial)
    }

    /// Every file now: full path → content.
    public var files: [String: [UInt8]] {
        state.withLock { $0.files }
    }

    private static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else {
            return ""
        }
        return String(path[..<slash])
    }

    private func failure(_ operation: String, _ path: String, _ code: Int32) -> LedgerError {
        SystemCallError(operation: operation, path: path, errno: code).ledgerError
    }

    private func path(of file: LogFileHandle, _ state: State, _ operation: String) throws -> String {
        guard let path = state.handles[file.rawValue] else {
            throw failure(operation, "handle \(file.rawValue)", EBADF)
        }
        return path
    }

    /// Opens a file in memory.
    public func openFile(atPath path: String, mode: LogFileOpenMode) throws -> LogFileHandle {
        try state.withLock { state in
            let exists = state.files[path] != nil
            switch mode {
            case .readOnly, .readWrite:
                guard exists else {
                    throw failure("open", path, ENOENT)
                }
            case .readWriteCreate:
                if !exists {
                    state.files[path] = []
                }
            case .createNew:
                guard !exists else {
                    throw failure("open", path, EEXIST)
                }
                state.files[path] = []
            }
            let handle = state.nextHandle
            state.nextHandle += 1
            state.handles[handle] = path
            return LogFileHandle(rawValue: handle)
        }
    }

    /// Forgets the handle.
    public func closeFile(_ file: LogFileHandle) {
        _ = state.withLock { $0.handles.removeValue(forKey: file.rawValue) }
    }

    /// Copies bytes out of the file.
    public func read(_ file: LogFileHandle, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int
    {
        try state.withLock { state in
            let bytes = state.files[try path(of: file, state, "pread")] ?? []
            guard offset < Int64(bytes.count) else {
                return 0
            }
            let count = min(buffer.count, bytes.count - Int(offset))
            bytes.withUnsafeBytes { source in
                buffer.baseAddress!.copyMemory(from: source.baseAddress! + Int(offset), byteCount: count)
            }
            return count
        }
    }

    /// Copies bytes into the file, growing it (with zeros) as needed.
    public func write(_ file: LogFileHandle, _ bytes: UnsafeRawBufferPointer, at offset: Int64) throws {
        try state.withLock { state in
            let path = try path(of: file, state, "pwrite")
            var content = state.files[path] ?? []
            let end = Int(offset) + bytes.count
            if content.count < end {
                content += [UInt8](repeating: 0, count: end - content.count)
            }
            content.replaceSubrange(Int(offset)..<end, with: bytes)
            state.files[path] = content
        }
    }

    /// Does nothing.
    public func sync(_ file: LogFileHandle) throws {}

    /// Does nothing.
    public func syncData(_ file: LogFileHandle) throws {}

    /// Cuts or extends the file.
    public func truncate(_ file: LogFileHandle, toSize size: Int64) throws {
        try state.withLock { state in
            let path = try path(of: file, state, "ftruncate")
            var content = state.files[path] ?? []
            if content.count > Int(size) {
                content.removeLast(content.count - Int(size))
            } else {
                content += [UInt8](repeating: 0, count: Int(size) - content.count)
            }
            state.files[path] = content
        }
    }

    /// The file's size.
    public func size(of file: LogFileHandle) throws -> Int64 {
        try state.withLock { state in Int64(state.files[try path(of: file, state, "fstat")]?.count ?? 0) }
    }

    /// Always succeeds.
    public func tryLockExclusive(_ file: LogFileHandle) throws -> Bool {
        true
    }

    /// Does nothing.
    public func syncDirectory(atPath path: String) throws {}

    /// The names of the files and directories directly in `path`.
    public func contentsOfDirectory(atPath path: String) throws -> [String] {
        try state.withLock { state in
            guard state.directories.contains(path) else {
                throw failure("opendir", path, ENOENT)
            }
            let prefix = path + "/"
            let names = (Array(state.files.keys) + Array(state.directories)).compactMap { entry -> String? in
                guard entry.hasPrefix(prefix) else {
                    return nil
                }
                let rest = entry.dropFirst(prefix.count)
                return rest.contains("/") ? nil : String(rest)
            }
            return Array(Set(names))
        }
    }

    /// Creates the directory; `false` when it exists.
    public func createDirectory(atPath path: String) throws -> Bool {
        state.withLock { $0.directories.insert(path).inserted }
    }

    /// Removes the file.
    public func removeFile(atPath path: String) throws {
        try state.withLock { state in
            guard state.files.removeValue(forKey: path) != nil else {
                throw failure("unlink", path, ENOENT)
            }
        }
    }
}
