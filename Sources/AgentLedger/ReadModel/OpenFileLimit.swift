import Foundation

/// The process's limit on open file descriptors (`ulimit -n`): what a store needs of it, for
/// the command line's floor, and what it is, to explain a read model that cannot be opened.
public enum OpenFileLimit {
    /// About how many descriptors a store uses: its log segment and lock, the read model's file,
    /// WAL and shared memory for the writer and each reader, and the process's own.
    public static let needed = 32

    /// The soft limit (`ulimit -n`), or nil when unknown or unlimited.
    static func current() -> Int? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < UInt(Int.max) else {
            return nil
        }
        return Int(clamping: limit.rlim_cur)
    }
}
