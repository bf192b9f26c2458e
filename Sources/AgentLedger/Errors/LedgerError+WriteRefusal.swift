import GRDB

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension LedgerError {
    /// Whether the file system refused to write, while reading may still work: no space left
    /// (or no quota), a read-only file system, no permission to write. An `io` error whose
    /// cause, at any depth of ``underlying``, is one of these `errno`s, or SQLite's "database or
    /// disk is full", "attempt to write a readonly database" or "access permission denied".
    /// A program can then read the store read-only (`LedgerOptions.readOnly`).
    public var isWriteRefusal: Bool {
        guard code == .io || code == .sqlite else {
            return false
        }
        var cause = underlying
        while let error = cause {
            if let system = error as? SystemCallError {
                return [ENOSPC, EDQUOT, EROFS, EACCES, EPERM].contains(system.errno)
            }
            if let database = error as? DatabaseError {
                return [.SQLITE_FULL, .SQLITE_READONLY, .SQLITE_PERM].contains(database.resultCode)
            }
            cause = (error as? LedgerError)?.underlying
        }
        return false
    }
}
