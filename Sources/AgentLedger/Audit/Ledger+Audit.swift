extension Ledger {
    /// The events of the log that pass `filter`, oldest first, streamed one frame at a time.
    /// Popped and cleared items stay visible here with what they contained.
    public func events(_ filter: EventFilter = EventFilter()) throws -> LedgerEvents {
        try checkOpen()
        try EventFilter.checkDate(filter.since, "the filter's since")
        try EventFilter.checkDate(filter.until, "the filter's until")
        return LedgerEvents(directory: directory, filter: filter)
    }
}
