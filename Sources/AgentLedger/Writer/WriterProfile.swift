/// Where the writer thread's time went, summed over its group commits since the ledger opened:
/// wall-clock and CPU time per phase.
///
/// Collected only when ``LedgerOptions/profilesWriter`` is set (it reads two clocks at every
/// phase boundary, eight times per group commit). It serves profiling where sampling profilers
/// are not available: the CPU time of a phase is the work the writer did in it, and wall time
/// above it is waiting (for the disk, or for a core). `agentledger bench --profile-writer`
/// prints it.
public struct WriterProfile: Sendable, Equatable {
    /// A phase of a group commit. A batch of adds with fsync durability goes derive, write,
    /// BEGIN, apply, wait for the sync, resume (its callers), COMMIT, then resume again (the
    /// readers waiting for the COMMIT). Other batches take the serial path: BEGIN, apply
    /// (deriving as they go), write, wait for the sync, COMMIT, resume.
    public enum Phase: String, CaseIterable, Sendable {
        /// Deriving the batch's events from the sessions' heads kept in memory: batches of adds
        /// and usage records with fsync durability. Other batches derive inside ``apply``.
        case derive
        /// Encoding and compressing the frame, writing it to the log, and (for a batch of adds)
        /// handing its fsync to the helper thread.
        case write
        /// `BEGIN IMMEDIATE` on the read model.
        case begin
        /// Applying the events to the read model's rows (on the serial path, deriving them too).
        case apply
        /// Waiting for the log's fsync: on the helper thread for a batch of adds, inline on the
        /// serial path (where the durability option may skip it).
        case waitForSync
        /// `COMMIT` of the read model's transaction.
        case commit
        /// Publishing the new head and resuming the callers.
        case resume
        /// Work between group commits: the read model's WAL checkpoints and the steps of
        /// full-text indexing the writer takes under constant load. Counted per group commit
        /// like the other phases, though only some group commits are followed by it.
        case maintenance
    }

    /// Group commits that wrote events.
    public var commits: Int = 0
    /// Events those group commits wrote.
    public var events: Int = 0
    /// Wall-clock nanoseconds per phase, summed over the group commits.
    public var wallNanoseconds: [Phase: UInt64] = [:]
    /// Nanoseconds of the writer thread's CPU time per phase, summed over the group commits.
    public var cpuNanoseconds: [Phase: UInt64] = [:]

    /// An empty profile.
    public init() {}

    /// Events per group commit (0 before the first).
    public var eventsPerCommit: Double {
        commits == 0 ? 0 : Double(events) / Double(commits)
    }

    /// Mean wall-clock microseconds of `phase` per group commit (0 before the first).
    public func wallMicrosecondsPerCommit(_ phase: Phase) -> Double {
        perCommit(wallNanoseconds[phase])
    }

    /// Mean CPU microseconds of `phase` per group commit (0 before the first).
    public func cpuMicrosecondsPerCommit(_ phase: Phase) -> Double {
        perCommit(cpuNanoseconds[phase])
    }

    private func perCommit(_ nanoseconds: UInt64?) -> Double {
        commits == 0 ? 0 : Double(nanoseconds ?? 0) / 1000 / Double(commits)
    }
}
