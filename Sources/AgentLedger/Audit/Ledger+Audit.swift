extension Ledger {
    /// The events of the log that pass `filter`, oldest first, streamed one frame at a time.
    /// Popped and cleared items stay visible here with what they contained.
    ///
    /// The events end where they are history as of the first `next()`: at what this handle's
    /// writer acknowledged; read-only, while another process writes, at what the read model has
    /// committed (a frame past it may be one that writer is about to cut again, a write that
    /// failed before it was acknowledged, whose sequence numbers its next write takes); and with
    /// no writer, at the log's end (a writer that died may have acknowledged frames its read
    /// model never committed).
    ///
    /// A log that ends before that end (beside a writer: every frame is in the log before the
    /// read model commits it), or before the events the read model proves durable
    /// (``DurableThrough``; with no writer), lost them to damage: the first `next()` that would
    /// read them throws `corruptLog`, instead of ending early with less. Once the ledger is
    /// closed, `next()` throws `closed` before it reads another frame.
    public func events(_ filter: EventFilter = EventFilter()) throws -> LedgerEvents {
        try checkOpen()
        try EventFilter.checkDate(filter.since, "the filter's since")
        try EventFilter.checkDate(filter.until, "the filter's until")
        let isOpen: @Sendable () throws -> Void = { [self] in try checkOpen() }
        return LedgerEvents(directory: directory, filter: filter, checkOpen: isOpen) { [self] in
            if writer != nil {
                let head = try await headSequence()
                return LedgerEvents.End(
                    bound: head,
                    shown: head,
                    claim: "this ledger's writer acknowledged events through \(head)"
                )
            }
            let writing = StoreLock.lockHolder(ofFileAt: directory + "/" + StoreLock.fileName) != nil
            let (status, identity) = try await modelStatusAndLogIdentity()
            guard writing else {
                let durable = DurableThrough.sequence(status, logIdentity: identity)
                return LedgerEvents.End(bound: nil, shown: durable, claim: DurableThrough.claim(durable))
            }
            // Beside a writer: its frames reach the log before its COMMITs, so the log holds
            // the model's checkpoint, unless the model is another log's (a log put in its
            // place, which the writer rebuilds the model from as it opens) or a writer of
            // durability none or interval opens after a power loss, with a model ahead of its
            // log until it has rebuilt it: the error names that case first, and a call after
            // the rebuild finds the new model (a handle opened during it keeps the old one).
            let sameLog = status.logIdentity == nil || identity == nil || status.logIdentity == identity
            let fsync = status.writerDurability == DurableThrough.name(of: .fsync)
            let shown = sameLog ? status.checkpoint : 0
            return LedgerEvents.End(
                bound: status.checkpoint,
                shown: shown,
                claim: fsync ? DurableThrough.claim(shown) : "the read model shows events through \(shown)",
                unlessBecause: fsync
                    ? nil
                    : "Its writer's durability is none or interval: if that writer is opening after a power loss, "
                        + "it is rebuilding the read model from the log, and nothing is lost. Try again once it has "
                        + "opened (a read-only handle opened during that rebuild reads the old model until it is "
                        + "opened again)"
            )
        }
    }

    /// The last sequence number that ``events(_:)`` yields now (see there): to follow the log,
    /// read the events up to it, then ask again. With no writer, a log that ends before the
    /// events the read model proves durable lost them to damage: this is then the last of
    /// those, and reading the events up to it throws `corruptLog`, as reading them all does.
    public func eventsEnd() async throws -> UInt64 {
        try checkOpen()
        if let bound = try await historyBound() {
            return bound
        }
        let logEnd = try await logLastSequence()
        let (status, identity) = try await modelStatusAndLogIdentity()
        return max(logEnd, DurableThrough.sequence(status, logIdentity: identity))
    }

    /// The last sequence number of the log as it is now, found on a thread of its own: opening
    /// the log walks the frame headers of its last segment, which must not hold a thread of the
    /// cooperative pool.
    func logLastSequence() async throws -> UInt64 {
        try await BlockingWork.run(name: "agentledger-log-end") { [directory, options] in
            try LogReader.open(directory: directory, fileSystem: options.fileSystem).lastSequence
        }
    }

    /// The read model's status, read on this handle's own connection, and the identity of the
    /// store's log (nil when it cannot be read), read on a thread of its own: what a read-only
    /// handle checks its model with.
    func modelStatusAndLogIdentity() async throws -> (ReadModel.Status, String?) {
        let status = try await read { db in try ReadModel.status(db) }
        let identity = try await BlockingWork.run(name: "agentledger-log-identity") { [directory, options] in
            ReadModelBuilder.readLogIdentity(directory: directory, options: options)
        }
        return (status, identity)
    }

    /// Where history ends before the log does: the acknowledged or committed head beside a
    /// writer; nil, the log's end, with none.
    private func historyBound() async throws -> UInt64? {
        if writer == nil, StoreLock.lockHolder(ofFileAt: directory + "/" + StoreLock.fileName) == nil {
            return nil
        }
        return try await headSequence()
    }
}
