extension Ledger {
    /// The events of the log that pass `filter`, oldest first, streamed one frame at a time.
    /// Popped and cleared items stay visible here with what they contained.
    ///
    /// The events end at ``headSequence()`` as of the first `next()`: what this handle's writer
    /// acknowledged, or, read-only, what the read model has committed. A frame past it may be one
    /// that a writer is about to cut again (a write that failed before it was acknowledged,
    /// whose sequence numbers its next write takes), which is never history.
    public func events(_ filter: EventFilter = EventFilter()) throws -> LedgerEvents {
        try checkOpen()
        try EventFilter.checkDate(filter.since, "the filter's since")
        try EventFilter.checkDate(filter.until, "the filter's until")
        return LedgerEvents(directory: directory, filter: filter) { [self] in try await headSequence() }
    }
}
