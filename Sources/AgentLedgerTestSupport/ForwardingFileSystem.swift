public import AgentLedger

/// A log file system that forwards every operation to the real one: subclass it and override
/// only the operations a test changes.
///
/// ```swift
/// final class SlowSync: ForwardingFileSystem, @unchecked Sendable {
///     override func syncData(_ file: LogFileHandle) throws {
///         usleep(1_000)
///         try super.syncData(file)
///     }
/// }
/// ```
open class ForwardingFileSystem: LogFileSystem, @unchecked Sendable {  // no state of its own
    /// The file system every operation goes to.
    public let base = SystemFileSystem()

    /// A file system that behaves as the real one until a subclass overrides something.
    public init() {}

    /// Forwards to ``base``.
    open func openFile(atPath path: String, mode: LogFileOpenMode) throws -> LogFileHandle {
        try base.openFile(atPath: path, mode: mode)
    }

    /// Forwards to ``base``.
    open func closeFile(_ file: LogFileHandle) {
        base.closeFile(file)
    }

    /// Forwards to ``base``.
    open func read(_ file: LogFileHandle, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int {
        try base.read(file, into: buffer, at: offset)
    }

    /// Forwards to ``base``.
    open func write(_ file: LogFileHandle, _ bytes: UnsafeRawBufferPointer, at offset: Int64) throws {
        try base.write(file, bytes, at: offset)
    }

    /// Forwards to ``base``.
    open func sync(_ file: LogFileHandle) throws {
        try base.sync(file)
    }

    /// Forwards to ``base``.
    open func syncData(_ file: LogFileHandle) throws {
        try base.syncData(file)
    }

    /// Forwards to ``base``.
    open func truncate(_ file: LogFileHandle, toSize size: Int64) throws {
        try base.truncate(file, toSize: size)
    }

    /// Forwards to ``base``.
    open func size(of file: LogFileHandle) throws -> Int64 {
        try base.size(of: file)
    }

    /// Forwards to ``base``.
    open func tryLockExclusive(_ file: LogFileHandle) throws -> Bool {
        try base.tryLockExclusive(file)
    }

    /// Forwards to ``base``.
    open func syncDirectory(atPath path: String) throws {
        try base.syncDirectory(atPath: path)
    }

    /// Forwards to ``base``.
    open func contentsOfDirectory(atPath path: String) throws -> [String] {
        try base.contentsOfDirectory(atPath: path)
    }

    /// Forwards to ``base``.
    open func createDirectory(atPath path: String) throws -> Bool {
        try base.createDirectory(atPath: path)
    }

    /// Forwards to ``base``.
    open func removeFile(atPath path: String) throws {
        try base.removeFile(atPath: path)
    }
}
