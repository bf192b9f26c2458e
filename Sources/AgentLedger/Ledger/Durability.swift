/// When an acknowledged write is on stable storage.
public enum Durability: Sendable, Hashable, CustomStringConvertible {
    /// `fdatasync` after every group commit, before any caller of the batch resumes (the default).
    /// An acknowledged write survives a crash or power loss.
    case fsync
    /// `fdatasync` at most every `milliseconds`, and at the latest that long after a write.
    /// A crash can lose the writes acknowledged in the last interval; never corrupts the log.
    case interval(milliseconds: Int)
    /// Never `fdatasync`; the operating system writes when it likes. A process crash loses
    /// nothing, a power loss can lose recent writes. For tests and throwaway stores.
    case none

    /// `fsync`, `interval(5ms)` or `none`.
    public var description: String {
        switch self {
        case .fsync: "fsync"
        case .interval(let milliseconds): "interval(\(milliseconds)ms)"
        case .none: "none"
        }
    }
}
