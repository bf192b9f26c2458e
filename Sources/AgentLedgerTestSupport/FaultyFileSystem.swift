public import AgentLedger
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A ``LogFileSystem`` that wraps another one and makes chosen operations fail, to test what
/// the log does on a full or failing disk. It also counts operations and bytes.
///
/// A fault is armed for the N-th matching operation from the moment it is armed (1 = the next
/// one), optionally only on files whose path ends with a suffix, and fires once:
///
/// ```swift
/// let fileSystem = FaultyFileSystem()
/// fileSystem.failWrite(2, errno: ENOSPC, pathSuffix: ".seg")  // the 2nd segment write fails
/// fileSystem.failSync(1, errno: EIO)                           // the next fsync/fdatasync fails
/// fileSystem.shortWrite(1, keepingBytes: 10, errno: ENOSPC)   // next write: 10 bytes, then fails
/// ```
///
/// A failed operation throws the same ``LedgerError`` (code `io`, with a ``SystemCallError``
/// underlying) that ``SystemFileSystem`` throws for that `errno`.
///
/// **Short writes**: the write passes only the first `keepingBytes` bytes to the wrapped file
/// system (so they really reach the file) and then throws, as `pwrite` does on a disk that fills
/// up in the middle of a write. It never reports success for a partial write.
/// A failed write (without `keepingBytes`) and a failed sync do nothing before throwing.
public final class FaultyFileSystem: LogFileSystem {
    /// What an armed fault does.
    public enum Fault: Sendable, Hashable {
        /// The operation does nothing and throws `errno`.
        case fail(errno: Int32)
        /// Writes only: the first `keepingBytes` bytes are written, then `errno` is thrown.
        case shortWrite(keepingBytes: Int, errno: Int32)
    }

    /// The operations a fault can be armed on.
    public enum Operation: Sendable, Hashable {
        /// ``LogFileSystem/write(_:_:at:)``.
        case write
        /// ``LogFileSystem/sync(_:)`` and ``LogFileSystem/syncData(_:)`` (fsync and fdatasync of files).
        case sync
        /// ``LogFileSystem/syncDirectory(atPath:)``.
        case syncDirectory
        /// ``LogFileSystem/truncate(_:toSize:)``.
        case truncate
        /// ``LogFileSystem/openFile(atPath:mode:)``.
        case open
    }

    /// Counts of what went through this file system.
    public struct Statistics: Sendable, Hashable {
        /// Writes attempted (failed ones included).
        public var writes = 0
        /// Bytes actually written through to the wrapped file system.
        public var bytesWritten: Int64 = 0
        /// File fsyncs and fdatasyncs attempted.
        public var syncs = 0
        /// Directory fsyncs attempted.
        public var directorySyncs = 0
        /// Reads.
        public var reads = 0
        /// Bytes read.
        public var bytesRead: Int64 = 0
        /// Faults that fired.
        public var faultsInjected = 0
    }

    private struct Rule {
        var operation: Operation
        var pathSuffix: String?
        var remaining: Int
        var fault: Fault
    }

    private struct State {
        var rules: [Rule] = []
        var paths: [LogFileHandle: String] = [:]
        var statistics = Statistics()
    }

    /// The file system that does the real work.
    public let base: any LogFileSystem
    private let state = Mutex(State())

    /// Wraps `base` (by default the operating system's file system).
    public init(wrapping base: any LogFileSystem = SystemFileSystem()) {
        self.base = base
    }

    /// Arms `fault` for the `number`-th `operation` from now (1 = the next one) on a file whose
    /// path ends with `pathSuffix` (any file when `nil`).
    public func inject(_ fault: Fault, on operation: Operation, number: Int, pathSuffix: String? = nil) {
        precondition(number >= 1, "operations are counted from 1")
        if case .shortWrite = fault {
            precondition(operation == .write, "a short write is a write fault")
        }
        state.withLock {
            $0.rules.append(Rule(operation: operation, pathSuffix: pathSuffix, remaining: number, fault: fault))
        }
    }

    /// Makes the `number`-th write from now fail with `errno` (such as `ENOSPC` or `EIO`),
    /// writing nothing.
    public func failWrite(_ number: Int, errno: Int32, pathSuffix: String? = nil) {
        inject(.fail(errno: errno), on: .write, number: number, pathSuffix: pathSuffix)
    }

    /// Makes the `number`-th write from now write only its first `keepingBytes` bytes and then
    /// fail with `errno`.
    public func shortWrite(_ number: Int, keepingBytes: Int, errno: Int32, pathSuffix: String? = nil) {
        inject(
            .shortWrite(keepingBytes: keepingBytes, errno: errno),
            on: .write,
            number: number,
            pathSuffix: pathSuffix
        )
    }

    /// Makes the `number`-th file fsync or fdatasync from now fail with `errno`.
    public func failSync(_ number: Int, errno: Int32, pathSuffix: String? = nil) {
        inject(.fail(errno: errno), on: .sync, number: number, pathSuffix: pathSuffix)
    }

    /// Disarms every fault that has not fired yet.
    public func removeAllFaults() {
        state.withLock { $0.rules.removeAll() }
    }

    /// What went through this file system so far.
    public var statistics: Statistics {
        state.withLock { $0.statistics }
    }

    /// Sets every count of ``statistics`` back to zero.
    public func resetStatistics() {
        state.withLock { $0.statistics = Statistics() }
    }

    /// Counts the operation and returns the fault that fires for it, if any.
    private func fault(for operation: Operation, path: String) -> Fault? {
        state.withLock { state in
            switch operation {
            case .write:
                state.statistics.writes += 1
            case .sync:
                state.statistics.syncs += 1
            case .syncDirectory:
                state.statistics.directorySyncs += 1
            case .truncate, .open:
                break
            }
            for index in state.rules.indices {
                let rule = state.rules[index]
                guard rule.operation == operation, rule.pathSuffix.map({ path.hasSuffix($0) }) ?? true else {
                    continue
                }
                state.rules[index].remaining -= 1
                if state.rules[index].remaining == 0 {
                    state.rules.remove(at: index)
                    state.statistics.faultsInjected += 1
                    return rule.fault
                }
                return nil
            }
            return nil
        }
    }

    private func path(of file: LogFileHandle) -> String {
        state.withLock { $0.paths[file] } ?? "file \(file.rawValue)"
    }

    private func failure(_ operation: String, _ path: String, _ errno: Int32) -> LedgerError {
        SystemCallError(operation: operation, path: path, errno: errno).ledgerError
    }

    /// Opens through the wrapped file system and remembers the path, unless an `open` fault fires.
    public func openFile(atPath path: String, mode: LogFileOpenMode) throws -> LogFileHandle {
        if case .fail(let errno) = fault(for: .open, path: path) {
            throw failure("open", path, errno)
        }
        let handle = try base.openFile(atPath: path, mode: mode)
        state.withLock { $0.paths[handle] = path }
        return handle
    }

    /// Closes through the wrapped file system.
    public func closeFile(_ file: LogFileHandle) {
        _ = state.withLock { $0.paths.removeValue(forKey: file) }
        base.closeFile(file)
    }

    /// Reads through the wrapped file system, counting.
    public func read(_ file: LogFileHandle, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int
    {
        let count = try base.read(file, into: buffer, at: offset)
        state.withLock {
            $0.statistics.reads += 1
            $0.statistics.bytesRead += Int64(count)
        }
        return count
    }

    /// Writes through the wrapped file system, unless a write fault fires.
    public func write(_ file: LogFileHandle, _ bytes: UnsafeRawBufferPointer, at offset: Int64) throws {
        let path = path(of: file)
        switch fault(for: .write, path: path) {
        case .none:
            try base.write(file, bytes, at: offset)
            state.withLock { $0.statistics.bytesWritten += Int64(bytes.count) }
        case .fail(let errno):
            throw failure("pwrite", path, errno)
        case .shortWrite(let keepingBytes, let errno):
            let kept = max(0, min(keepingBytes, bytes.count - 1))
            if kept > 0 {
                try base.write(file, UnsafeRawBufferPointer(rebasing: bytes[0..<kept]), at: offset)
                state.withLock { $0.statistics.bytesWritten += Int64(kept) }
            }
            throw failure("pwrite", path, errno)
        }
    }

    /// Fsyncs through the wrapped file system, unless a sync fault fires.
    public func sync(_ file: LogFileHandle) throws {
        let path = path(of: file)
        if case .fail(let errno) = fault(for: .sync, path: path) {
            throw failure("fsync", path, errno)
        }
        try base.sync(file)
    }

    /// Fdatasyncs through the wrapped file system, unless a sync fault fires.
    public func syncData(_ file: LogFileHandle) throws {
        let path = path(of: file)
        if case .fail(let errno) = fault(for: .sync, path: path) {
            throw failure("fdatasync", path, errno)
        }
        try base.syncData(file)
    }

    /// Truncates through the wrapped file system, unless a truncate fault fires.
    public func truncate(_ file: LogFileHandle, toSize size: Int64) throws {
        let path = path(of: file)
        if case .fail(let errno) = fault(for: .truncate, path: path) {
            throw failure("ftruncate", path, errno)
        }
        try base.truncate(file, toSize: size)
    }

    /// The size from the wrapped file system.
    public func size(of file: LogFileHandle) throws -> Int64 {
        try base.size(of: file)
    }

    /// Locks through the wrapped file system.
    public func tryLockExclusive(_ file: LogFileHandle) throws -> Bool {
        try base.tryLockExclusive(file)
    }

    /// Fsyncs the directory through the wrapped file system, unless a fault fires.
    public func syncDirectory(atPath path: String) throws {
        if case .fail(let errno) = fault(for: .syncDirectory, path: path) {
            throw failure("fsync", path, errno)
        }
        try base.syncDirectory(atPath: path)
    }

    /// Lists through the wrapped file system.
    public func contentsOfDirectory(atPath path: String) throws -> [String] {
        try base.contentsOfDirectory(atPath: path)
    }

    /// Creates through the wrapped file system.
    public func createDirectory(atPath path: String) throws -> Bool {
        try base.createDirectory(atPath: path)
    }

    /// Removes through the wrapped file system.
    public func removeFile(atPath path: String) throws {
        try base.removeFile(atPath: path)
    }
}
