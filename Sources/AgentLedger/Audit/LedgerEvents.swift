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

    let directory: String
    let filter: EventFilter
    /// The last sequence number to read, asked for on the first `next()`; nil: the log's end.
    let head: @Sendable () async throws -> UInt64?

    /// Makes an iterator that opens the log on its first `next()`.
    public func makeAsyncIterator() -> Iterator {
        Iterator(directory: directory, filter: filter, head: head)
    }

    /// Reads frames one at a time and yields their matching events.
    public struct Iterator: AsyncIteratorProtocol {
        let directory: String
        private var filter: EventFilter
        let head: @Sendable () async throws -> UInt64?
        private var frames: FrameIterator?
        private var pending: [LedgerEvent] = []
        private var pendingIndex = 0
        private var finished = false

        init(directory: String, filter: EventFilter, head: @escaping @Sendable () async throws -> UInt64?) {
            self.directory = directory
            self.filter = filter
            self.head = head
        }

        /// The next matching event, or `nil` at the end of the log.
        ///
        /// - Throws: `corruptLog` (with the location) when a frame cannot be read.
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
                    if let last = try await head() {
                        filter.toSequence = Swift.min(filter.toSequence ?? last, last)
                    }
                    let reader = try LogReader.open(directory: directory)
                    frames = reader.frames(from: filter.fromSequence ?? 1, through: filter.toSequence)
                }
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
