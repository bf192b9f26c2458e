import AgentLedger
import Glibc

/// The command line's floor on open file descriptors, checked before a command opens anything.
///
/// A store needs about `OpenFileLimit.needed` descriptors. Below that, the library refuses
/// with a clear error when SQLite cannot open the read model; but libdispatch, which Swift
/// concurrency runs on, also opens files of its own as it goes (`/proc/<tid>/stat` to watch
/// its thread pool, an eventfd for the main queue) and traps when one fails (SIGILL, exit 132),
/// which a command that has just taken the last descriptors makes likely. So the command line
/// first raises its soft limit as far as its hard limit allows, and refuses with exit 74 when
/// even that is too low, before any thread of its own opens a file.
enum DescriptorFloor {
    /// What the soft limit is raised to when it is below ``OpenFileLimit/needed``, if the hard
    /// limit allows: room for a store and for what a command reads and writes beside it.
    static let raisedLimit: rlim_t = 1024

    /// Raises the soft limit on open files to ``raisedLimit`` (or the hard limit) when it is
    /// below what a store needs; throws when it stays below.
    ///
    /// - Throws: ``CLIFailure`` with exit 74 naming both limits and the way to raise them.
    static func ensure() throws(CLIFailure) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0,
            limit.rlim_cur < rlim_t(OpenFileLimit.needed)
        else {
            return
        }
        var raised = limit
        raised.rlim_cur = min(limit.rlim_max, raisedLimit)
        if raised.rlim_cur > limit.rlim_cur, setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 {
            limit = raised
        }
        guard limit.rlim_cur < rlim_t(OpenFileLimit.needed) else {
            return
        }
        throw CLIFailure(
            ExitCodes.ioError,
            "the limit on open files is \(limit.rlim_cur) (`ulimit -n`, hard limit \(limit.rlim_max)); a store "
                + "needs about \(OpenFileLimit.needed): raise it, with `ulimit -n 1024` for instance"
        )
    }
}
