public import Foundation

/// Which events ``Ledger/events(_:)`` returns. Every condition set must hold; `nil` means any.
public struct EventFilter: Sendable, Hashable {
    /// Only events of this session.
    public var sessionID: String?
    /// Only events about this branch.
    public var branch: String?
    /// Only events of these kinds.
    public var kinds: Set<EventKind>?
    /// Only events with a sequence number at least this.
    public var fromSequence: UInt64?
    /// Only events with a sequence number at most this.
    public var toSequence: UInt64?
    /// Only events written at or after this instant.
    public var since: Date?
    /// Only events written at or before this instant.
    public var until: Date?

    /// Creates a filter; with no arguments it matches every event.
    public init(
        sessionID: String? = nil,
        branch: String? = nil,
        kinds: Set<EventKind>? = nil,
        fromSequence: UInt64? = nil,
        toSequence: UInt64? = nil,
        since: Date? = nil,
        until: Date? = nil
    ) {
        self.sessionID = sessionID
        self.branch = branch
        self.kinds = kinds
        self.fromSequence = fromSequence
        self.toSequence = toSequence
        self.since = since
        self.until = until
    }

    /// Whether `event` passes every condition.
    public func matches(_ event: LedgerEvent) -> Bool {
        // Byte for byte, as the store compares names (not by canonical equivalence).
        if let sessionID, !event.sessionID.utf8.elementsEqual(sessionID.utf8) {
            return false
        }
        if let branch, !event.branch.utf8.elementsEqual(branch.utf8) {
            return false
        }
        if let kinds, !kinds.contains(event.kind) {
            return false
        }
        if let fromSequence, event.sequence < fromSequence {
            return false
        }
        if let toSequence, event.sequence > toSequence {
            return false
        }
        if let since, event.timestampMicros < Self.micros(since) {
            return false
        }
        if let until, event.timestampMicros > Self.micros(until) {
            return false
        }
        return true
    }

    /// The instant in the store's unit, microseconds. Rounded to the nearest: a `Date` made
    /// from whole microseconds does not always convert back exactly, and rounding down could
    /// exclude the very event whose date was given. A date beyond what 64 bits of microseconds
    /// hold (about 292,000 years either way), or infinite, stands for the earliest or latest
    /// instant; an invalid one (NaN) is refused by ``checkDate(_:_:)`` before it gets here.
    static func micros(_ date: Date) -> Int64 {
        let value = (date.timeIntervalSince1970 * 1_000_000).rounded()
        if value.isNaN || value <= -9.2e18 {
            return .min
        }
        return value >= 9.2e18 ? .max : Int64(value)
    }

    /// Throws `invalidArgument` for a date that is no instant (NaN), naming it as `name`.
    static func checkDate(_ date: Date?, _ name: String) throws {
        if let date, date.timeIntervalSince1970.isNaN {
            throw LedgerError(.invalidArgument, "\(name) is not a valid date (NaN)")
        }
    }
}
