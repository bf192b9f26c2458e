public import Foundation

/// A past position in the log, for time-travel reads.
///
/// A position past the head reads the current state; a position before the store's first event
/// (sequence 0, or a date before it) reads the empty state. A read-only handle asked for a
/// sequence number its read model has not reached yet first waits for it, up to
/// ``LedgerOptions/readOnlyAsOfWait``: a writer in another process acknowledges a write a
/// moment before its read model shows it.
public enum AsOf: Sendable, Hashable {
    /// The state right after the event with this sequence number.
    case sequence(UInt64)
    /// The state right after the last event at or before this instant.
    case date(Date)
}
