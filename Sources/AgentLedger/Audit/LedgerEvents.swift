/// The events of a store's log that pass a filter, oldest first, read lazily: one frame is
/// in memory at a time, however long the log.
///
/// ```swift
/// for try await event in ledger.events(EventFilter(sessionID: "chat-42", kinds: [.itemPopped])) {
///     print(event.sequence, event.kind, event.date)
/// }
/// ```
public struct LedgerEvents: AsyncSequence, Sendable {
    /// The element type: one event.
    public typealias Element = LedgerEvent

    /// Where the events end, and what the log must hold, asked for on the first `next()`.
    struct End: Sendable {
        /// The last sequence number to read; nil: the log's end.
        let bound: UInt64?
        /// The last event the log must hold (the head this ledger's writer acknowledged, or
        /// the one ``DurableThrough`` proves): a log that ends before it lost events, which the
        /// iteration reports instead of ending early as if the log had no more.
        let shown: UInt64
        /// Who shows it, for the error: "this ledger's writer acknowledged events through 7".
        let claim: String
        /// Why a log that ends before ``shown`` may not be damaged, when it may not: said
        /// first in the error, which then gives damage as the other possibility.
        var unlessBecause: String?
    }

    let directory: String
    let filter: EventFilter
    /// Throws `closed` once the ledger that made the sequence is closed.
    let checkOpen: @Sendable () throws -> Void
    /// Where the events end and what the log must hold, asked for on the first `next()`.
    let head: @Sendable () async throws -> End

    /// Makes an iterator that opens the log on its first `next()`.
    public func makeAsyncIterator() -> Iterator {
        Iterator(directory: directory, filter: filter, checkOpen: checkOpen, head: head)
    }

    /// Reads frames one at a time and yields their matching events.
    public struct Iterator: AsyncIteratorProtocol {
        let directory: String
        private var filter: EventFilter
        let checkOpen: @Sendable () throws -> Void
        let head: @Sendable () async throws -> End
        private var frames: FrameIterator?
        private var pending: [LedgerEvent] = []
        private var pendingIndex = 0
        private var finished = false
        /// Frames read since the iteration last gave up its thread.
        private var framesSinceYield = 0

        /// Frames read between two suspensions: the log is read on the caller's task, and a
        /// filter that matches little, or a caller that consumes the events without awaiting
        /// anything else, would otherwise hold one of the cooperative pool's few threads for
        /// the whole log (seconds for a large store), and every other task of the process
        /// waiting for it.
        static let framesPerSlice = 32

        init(
            directory: String,
            filter: EventFilter,
            checkOpen: @escaping @Sendable () throws -> Void,
            head: @escaping @Sendable () async throws -> End
        ) {
            self.directory = directory
            self.filter = filter
            self.checkOpen = checkOpen
            self.head = head
        }

        /// The next matching event, or `nil` at the end of the log.
        ///
        /// - Throws: `corruptLog` (with the location) when a frame cannot be read, or when the
        ///   log ends before events the read model shows it held (its last frame damaged or cut,
        ///   its last segment gone) and the filter asks for them; `cancelled` when the calling
        ///   task is cancelled, and `closed` when the ledger is closed, before the next frame is
        ///   read (the events of the frame read last still come first).
        public mutating func next() async throws -> LedgerEvent? {
            while !finished {
                while pendingIndex < pending.count {
                    let event = pending[pendingIndex]
                    pendingIndex += 1
                    if filter.matches(event) {
                        return event
                    }
                }
                if frames == nil {
                    // What the read model shows first, then the log: the log only grows.
                    let end = try await head()
                    if let last = end.bound {
                        filter.toSequence = Swift.min(filter.toSequence ?? last, last)
                    }
                    let reader = try LogReader.open(directory: directory)
                    try DurableThrough.checkLogHolds(
                        end.shown,
                        claim: end.claim,
                        logEnd: reader.lastSequence,
                        through: filter.toSequence,
                        unless: end.unlessBecause
                    )
                    frames = reader.frames(from: filter.fromSequence ?? 1, through: filter.toSequence)
                }
                framesSinceYield += 1
                if framesSinceYield > Self.framesPerSlice {
                    framesSinceYield = 0
                    await Task.yield()
                }
                // Checked at every frame: a filter that matches little can read the whole log
                // before it returns, and a cancelled caller must not wait for that, nor take the
                // end of its reading for the end of the log.
                if Task.isCancelled {
                    throw LedgerError(.cancelled, "the task reading the log's events was cancelled")
                }
                // As every call after close(): a reading begun before it does not go on reading
                // the store (which another opener may have taken) as if it were still open.
                try checkOpen()
                guard let frame = try frames?.next() else {
                    finished = true
                    break
                }
                pending = try EventCodec.decode(frame)
                pendingIndex = 0
            }
            return nil
        }
    }
}
