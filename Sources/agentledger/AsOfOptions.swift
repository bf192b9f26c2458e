import AgentLedger
import ArgumentParser

/// `--as-of-seq N` or `--as-of-time ISO8601`: read the state right after a past event.
struct AsOfOptions: ParsableArguments {
    @Option(
        name: .customLong("as-of-seq"),
        parsing: .unconditional,
        help: ArgumentHelp("Read the state right after the event with this sequence number.", valueName: "n")
    )
    var sequence: UInt64?

    @Option(
        name: .customLong("as-of-time"),
        help: ArgumentHelp(
            "Read the state right after the last event at or before this time (ISO 8601, such as "
                + "2026-11-26T23:40:01.123456Z; UTC when no zone is given).",
            valueName: "time"
        )
    )
    var time: String?

    mutating func validate() throws {
        if sequence != nil, time != nil {
            throw ValidationError("give --as-of-seq or --as-of-time, not both")
        }
        if let time, Timestamp.parse(time) == nil {
            throw ValidationError("--as-of-time '\(time)' is not an ISO 8601 time such as 2026-11-26T23:40:01Z")
        }
    }

    /// The position to read at, or `nil` for now.
    var asOf: AsOf? {
        if let sequence {
            return .sequence(sequence)
        }
        if let time, let micros = Timestamp.parse(time) {
            return .date(Timestamp.date(micros: micros))
        }
        return nil
    }
}
