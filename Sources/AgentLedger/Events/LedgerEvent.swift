public import Foundation

/// One immutable event of the log: the envelope and its payload.
public struct LedgerEvent: Sendable, Hashable {
    /// The global sequence number: contiguous, starting at 1, never reused.
    public let sequence: UInt64
    /// When the writer accepted the event, in microseconds since 1970-01-01 UTC.
    /// Non-decreasing along the log.
    public let timestampMicros: Int64
    /// The session the event belongs to.
    public let sessionID: String
    /// The branch the event concerns (see ``EventPayload`` for each kind).
    public let branch: String
    /// The version of the event encoding it was read from (the current one is 1).
    public let schemaVersion: UInt8
    /// What happened.
    public let payload: EventPayload

    /// Creates an event.
    public init(
        sequence: UInt64,
        timestampMicros: Int64,
        sessionID: String,
        branch: String,
        schemaVersion: UInt8 = EventCodec.currentVersion,
        payload: EventPayload
    ) {
        self.sequence = sequence
        self.timestampMicros = timestampMicros
        self.sessionID = sessionID
        self.branch = branch
        self.schemaVersion = schemaVersion
        self.payload = payload
    }

    /// The kind of the payload.
    public var kind: EventKind { payload.kind }

    /// The timestamp as a `Date`.
    public var date: Date {
        Date(timeIntervalSince1970: Double(timestampMicros) / 1_000_000)
    }
}
