#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed system call: which call, on which path, and the `errno` it returned.
///
/// The log layer reports every failed file operation as a ``LedgerError`` with code
/// ``LedgerError/Code/io``; this value is its ``LedgerError/underlying`` error, so a program can
/// tell a full disk (`ENOSPC`) from a failing one (`EIO`):
///
/// ```swift
/// catch let error as LedgerError where (error.underlying as? SystemCallError)?.errno == ENOSPC {
///     // free some space: the next write recovers the store (LedgerOptions.logRecoveryInterval)
/// }
/// ```
public struct SystemCallError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The operation that failed, such as `pwrite` or `fdatasync`.
    public let operation: String
    /// The file or directory the operation was applied to.
    public let path: String
    /// The C `errno` value the call returned, such as `ENOSPC` (28) or `EIO` (5).
    public let errno: Int32

    /// Creates an error value.
    public init(operation: String, path: String, errno: Int32) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    /// The C library's text for ``errno``, such as "No space left on device".
    public var reason: String {
        guard let text = strerror(errno) else {
            return "unknown error"
        }
        return String(cString: text)
    }

    /// The symbolic name of ``errno`` for the common file errors (`ENOSPC`, `EIO`, ...), else
    /// `errno N`.
    public var errnoName: String {
        let names: [Int32: String] = [
            ENOSPC: "ENOSPC", EIO: "EIO", EDQUOT: "EDQUOT", EROFS: "EROFS", EACCES: "EACCES", EPERM: "EPERM",
            ENOENT: "ENOENT", EEXIST: "EEXIST", EBADF: "EBADF", EINTR: "EINTR", EWOULDBLOCK: "EWOULDBLOCK",
            EINVAL: "EINVAL", EFBIG: "EFBIG", EMFILE: "EMFILE", ENFILE: "ENFILE", ENOTDIR: "ENOTDIR",
            EISDIR: "EISDIR", ENAMETOOLONG: "ENAMETOOLONG",
        ]
        return names[errno] ?? "errno \(errno)"
    }

    /// `pwrite: ENOSPC (errno 28)`: the operation and the error, short (the path and the text
    /// are in the ``LedgerError``'s message).
    public var description: String {
        "\(operation): \(errnoName) (errno \(errno))"
    }

    /// The ``LedgerError`` the log layer throws for this failure: code ``LedgerError/Code/io``,
    /// a message naming the operation, the path and the reason, and this value as its underlying
    /// error.
    public var ledgerError: LedgerError {
        LedgerError(
            .io,
            "\(operation) failed on \(path): \(reason) (\(errnoName), errno \(errno))",
            underlying: self
        )
    }
}
