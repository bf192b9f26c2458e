public import Dispatch
import Foundation
public import Logging

/// How a ledger is opened. The defaults suit a production agent: fsync on every group commit.
public struct LedgerOptions: Sendable {
    /// When acknowledged writes reach stable storage. Default ``Durability/fsync``.
    public var durability: Durability
    /// Open without the writer lock: every read works (also while another process writes),
    /// every write throws `readOnly`, and no file is modified.
    public var readOnly: Bool
    /// The largest item accepted, in bytes of JSON text. Default ``defaultMaxItemBytes``; at
    /// most ``largestMaxItemBytes``.
    public var maxItemBytes: Int
    /// The default ``maxItemBytes``: 16 MiB.
    public static let defaultMaxItemBytes = 16 << 20
    /// The largest ``maxItemBytes`` a store opens with (512 MiB): an item must fit in one log
    /// frame (at most 1 GiB) and in one SQLite value (at most 1,000,000,000 bytes), or the
    /// read model would refuse it after the log has it.
    public static let largestMaxItemBytes = 512 << 20
    /// The most events the writer puts in one group commit, whatever ``groupCommitMaxEvents``
    /// says: 65,536 events of up to about 1.4 KB of envelope each stay far below a frame's 1 GiB.
    public static let largestGroupCommitEvents = 65_536
    /// A segment file is closed and a new one started when the next frame would make it
    /// larger than this. Default 64 MiB.
    public var segmentSizeBytes: Int
    /// The most zero bytes the writer writes ahead of its frames at once, so that a group
    /// commit's fdatasync overwrites the file instead of growing it, which costs ext4 a journal
    /// commit (FORMAT.md, "Reserved space"). Cut back when the store closes. Used with
    /// ``Durability/fsync`` only: with writes waiting for a later fsync, a power loss could keep
    /// a later frame and lose an earlier one inside the reserved space, so the other modes only
    /// append (and cut the zeros a crashed writer left when they open). Default 1 MiB; 0 turns
    /// it off.
    public var logPreallocationBytes: Int
    /// The most events one group commit (one frame, one fsync) holds. Default 4,096; a value
    /// above ``largestGroupCommitEvents`` acts as that, and one below 1 as 1.
    public var groupCommitMaxEvents: Int
    /// The most bytes of events one group commit holds (a single larger call still goes alone).
    /// Default 8 MiB; at most 512 MiB. With both bounds a group commit fits in one log frame
    /// (1 GiB), except that a pop counts its item only once it is derived: concurrent pops of
    /// items near `maxItemBytes` can still fill a frame, and are then refused together.
    public var groupCommitMaxBytes: Int
    /// The zstd compression level of frames (1 fastest … 19 smallest). Default 3.
    public var compressionLevel: Int
    /// Compress frames with the dictionary built into AgentLedger (FORMAT.md, codec 2): about a
    /// third fewer log bytes for small frames such as one item per call. Default true; false
    /// writes frames that versions without the dictionary can read.
    public var compressionDictionary: Bool
    /// How many read-only SQLite connections serve queries. Default ``defaultReaderCount``.
    public var readerCount: Int
    /// The default ``readerCount``: the cores the writer thread leaves (the active processor
    /// count less one), at least 2, so that one long query (an export, a search) does not hold
    /// up the others, and at most 4. Connections beyond the free cores only queue for the CPU,
    /// and while they do they take the CPU from the writer (Benchmarks/NOTEBOOK.md, "What the
    /// readers of (a) take from its writers").
    public static var defaultReaderCount: Int { readerCountForThisMachine }
    /// ``defaultReaderCount``, worked out once: Foundation reads the cgroup's files for each
    /// `activeProcessorCount`, and every `LedgerOptions()` asks for it.
    private static let readerCountForThisMachine = min(4, max(2, ProcessInfo.processInfo.activeProcessorCount - 1))
    /// The quality of service of the dispatch queues that run this ledger's queries (GRDB's
    /// reader queues). Default ``defaultQueryQoS``, below the writer thread's, so that when
    /// the CPU is short a query waits for a core and the writer does not: a query of the ledger
    /// waits for every write it has acknowledged anyway, and the writer's commits are what the
    /// agents awaiting an add wait for. `.userInitiated`, GRDB's own default, puts queries
    /// ahead of the writer (on Linux, for a privileged process; level with it otherwise).
    ///
    /// The writer thread takes its priority from the thread that opens the ledger (on Linux,
    /// a new thread inherits its creator's nice value): nice 0 or less when
    /// ``Ledger/open(at:options:)`` is awaited in a task of medium priority or above, but nice
    /// 10 from a `.background` task, level with the default queries. Open a ledger from a task
    /// of at least medium priority.
    public var queryQoS: DispatchQoS
    /// The default ``queryQoS``: `.background` on Linux, where libdispatch runs it on threads
    /// at nice 10 and nothing else (the writer thread, opened from a task of medium priority,
    /// runs at nice 0); `.utility` elsewhere, since Darwin throttles the disk reads of
    /// background work hard (and of utility work less).
    public static var defaultQueryQoS: DispatchQoS {
        #if os(Linux)
        .background
        #else
        .utility
        #endif
    }
    /// How long a read-only handle waits for its read model to reach a sequence number a read
    /// asks for as of: a writer in another process acknowledges a write a moment before its read
    /// model shows it, and may have handed its sequence number over already. Default 20 ms;
    /// zero answers at once. A number past the log's head reads the current state after it.
    public var readOnlyAsOfWait: Duration
    /// How long opening the store waits for another opener to release its writer lock before
    /// throwing `storeLocked`: a writer that is closing, or a reading command of the command
    /// line, which holds the lock while it catches up the read model and answers when nobody
    /// writes. Also how long a read-only open waits for the lock's holder to rebuild a missing
    /// read model. Default 2 s, as the command line's `--lock-wait`; zero fails at once. A
    /// `Ledger` of this process that stays open is waited for too, in vain: give zero where
    /// that is the only holder there can be. Cancelling the opening task ends the wait.
    public var lockWait: Duration
    /// How long the writer keeps the read model's transaction open, after acknowledging a
    /// group commit of one call (an agent awaiting each add), for the next adds or usage
    /// records, so that such an agent pays for one SQLite COMMIT every few calls instead of
    /// every call. A query of this ledger that waits ends the transaction after the group
    /// commit in flight; otherwise it ends at the latest 2 ms or 64 group commits after it
    /// began, which is how much later readers in other processes may see a write. Default
    /// 150 µs; zero commits after every group commit.
    public var commitCoalescingWait: Duration
    /// Time the phases of the writer's group commits (``Ledger/writerProfile()``). Default false.
    public var profilesWriter: Bool
    /// Where recovery, rebuilds and failures are reported.
    public var logger: Logger
    /// The clock that stamps events, in microseconds since 1970. Tests inject one. Event times
    /// never go back along the log: an event is stamped no earlier than the one before it, also
    /// when the clock was set back between two opens of the store.
    public var clock: @Sendable () -> Int64
    /// The file operations of the log. Tests inject failures through it (see
    /// `FaultyFileSystem` in AgentLedgerTestSupport); the default is the real file system.
    public var fileSystem: any LogFileSystem
    /// Extra read-model migrations applied after the embedded ones (name, SQL). Changing this
    /// list changes the schema version, so the next open rebuilds the read model from the log.
    public var extraMigrations: [(name: String, sql: String)]
    /// How long after recovering the log in place from a failed write or fsync (the next
    /// write does) the log may be recovered again if it fails again: a disk that stays full
    /// fails the first write after every recovery, and a recovery reads the frame headers of
    /// every segment. Writes in between are refused at once with the reason. Default 1 s.
    public var logRecoveryInterval: Duration = .seconds(1)
    /// The longest the writer keeps one read-model transaction open to take more group
    /// commits (see ``commitCoalescingWait``). Default 2 ms; tests lengthen it.
    var transactionOpenLimit: Duration = .milliseconds(2)
    /// The size the read model's WAL file is cut back to when the writer starts it over after
    /// a checkpoint (SQLite's `journal_size_limit`): a WAL that a burst grew (the copy of
    /// `rebuildViews()`, long queries that held off the checkpoints) does not keep its largest
    /// size on disk until the store closes. Default 16 MiB, above the 4 MiB a checkpoint every
    /// 1,000 pages lets it reach; tests lower it.
    var walSizeLimitBytes = 16 << 20
    /// The most item bytes one add may carry: its event must fit in one frame (1 GiB, with
    /// room for the event's envelope). Tests lower it.
    var maxAddBytes = CommandDeriver.frameItemBytes
    /// The most items one add may carry: what a reader accepts in one event (2^24). Tests lower
    /// it.
    var maxItemsPerAdd = EventCodec.maxItemsPerEvent

    /// Creates options; every parameter has the production default.
    public init(
        durability: Durability = .fsync,
        readOnly: Bool = false,
        maxItemBytes: Int = LedgerOptions.defaultMaxItemBytes,
        segmentSizeBytes: Int = 64 << 20,
        logPreallocationBytes: Int = 1 << 20,
        groupCommitMaxEvents: Int = 4096,
        groupCommitMaxBytes: Int = 8 << 20,
        compressionLevel: Int = 3,
        compressionDictionary: Bool = true,
        readerCount: Int = LedgerOptions.defaultReaderCount,
        queryQoS: DispatchQoS = LedgerOptions.defaultQueryQoS,
        readOnlyAsOfWait: Duration = .milliseconds(20),
        lockWait: Duration = .seconds(2),
        commitCoalescingWait: Duration = .microseconds(150),
        profilesWriter: Bool = false,
        logger: Logger = Logger(label: "agentledger"),
        clock: @escaping @Sendable () -> Int64 = SystemClock.microsecondsSince1970,
        fileSystem: any LogFileSystem = SystemFileSystem(),
        extraMigrations: [(name: String, sql: String)] = []
    ) {
        self.durability = durability
        self.readOnly = readOnly
        self.maxItemBytes = maxItemBytes
        self.segmentSizeBytes = segmentSizeBytes
        self.logPreallocationBytes = logPreallocationBytes
        self.groupCommitMaxEvents = groupCommitMaxEvents
        self.groupCommitMaxBytes = groupCommitMaxBytes
        self.compressionLevel = compressionLevel
        self.compressionDictionary = compressionDictionary
        self.readerCount = readerCount
        self.queryQoS = queryQoS
        self.readOnlyAsOfWait = readOnlyAsOfWait
        self.lockWait = lockWait
        self.commitCoalescingWait = commitCoalescingWait
        self.profilesWriter = profilesWriter
        self.logger = logger
        self.clock = clock
        self.fileSystem = fileSystem
        self.extraMigrations = extraMigrations
    }
}
