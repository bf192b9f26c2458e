extension EventCodec {
    /// Decodes the events of a frame read from the log, naming the frame's place in errors.
    /// (Here rather than beside the codec, which builds on its own for the event fuzzer.)
    ///
    /// - Throws: as ``decode(_:firstSequence:count:location:)``.
    static func decode(_ frame: LogFrame) throws(LedgerError) -> [LedgerEvent] {
        try decode(frame.payload, firstSequence: frame.firstSequence, count: frame.eventCount, location: frame.location)
    }
}
