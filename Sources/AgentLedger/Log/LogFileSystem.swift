/// The file operations the log needs: the seam between the log and the operating system.
///
/// ``SystemFileSystem`` is the implementation used in production. Tests wrap it (see
/// `FaultyFileSystem` in `AgentLedgerTestSupport`) to make chosen writes or fsyncs fail, so that
/// the log's behaviour on a full or failing disk can be checked.
///
/// Every failure is thrown as a ``LedgerError`` with code ``LedgerError/Code/io`` whose message
/// names the operation and the path, with a ``SystemCallError`` as its underlying error.
/// Offsets and sizes are in bytes.
///
/// An implementation must be safe to use from several threads at once for different files; the
/// log never uses one handle from two threads at once.
public protocol LogFileSystem: Sendable {
    /// Opens (or creates, per `mode`) the file at `path`.
    func openFile(atPath path: String, mode: LogFileOpenMode) throws -> LogFileHandle

    /// Closes a file. An error from closing is ignored: the log flushes what it needs before
    /// it closes a file, and a failed flush is reported there.
    func closeFile(_ file: LogFileHandle)

    /// Reads up to `buffer.count` bytes at `offset` and returns how many were read; fewer than
    /// `buffer.count` only at the end of the file.
    func read(_ file: LogFileHandle, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int

    /// Writes all of `bytes` at `offset`, or throws. When it throws, any prefix of `bytes` may
    /// have reached the file (as after a partial write on a full disk).
    func write(_ file: LogFileHandle, _ bytes: UnsafeRawBufferPointer, at offset: Int64) throws

    /// Flushes the file's data and metadata to stable storage (`fsync`). A failure must not be
    /// retried by the caller: the data written since the last successful flush is lost.
    func sync(_ file: LogFileHandle) throws

    /// Flushes the file's data and the metadata needed to read it back (`fdatasync`).
    /// A failure must not be retried by the caller.
    func syncData(_ file: LogFileHandle) throws

    /// Sets the file's size; bytes past `size` are discarded.
    func truncate(_ file: LogFileHandle, toSize size: Int64) throws

    /// The file's current size in bytes.
    func size(of file: LogFileHandle) throws -> Int64

    /// Takes an exclusive advisory lock on the open file without waiting (`flock` with
    /// `LOCK_EX | LOCK_NB`). Returns `false` when another open of the file holds it, in this
    /// process or another. The lock is released when the file is closed.
    func tryLockExclusive(_ file: LogFileHandle) throws -> Bool

    /// Flushes the entries of the directory at `path` (files created or removed in it).
    func syncDirectory(atPath path: String) throws

    /// The names of the entries of the directory at `path`, without `.` and `..`, unsorted.
    func contentsOfDirectory(atPath path: String) throws -> [String]

    /// Creates the directory at `path`. Returns `false` when it already exists.
    func createDirectory(atPath path: String) throws -> Bool

    /// Removes the file at `path`.
    func removeFile(atPath path: String) throws
}
