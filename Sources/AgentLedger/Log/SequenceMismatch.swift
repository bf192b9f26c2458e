/// The message for a frame whose first sequence number is not the one the log expects next.
enum SequenceMismatch {
    /// Says what the frame in segment `name` is: past a gap (events missing before it), or a
    /// repeat (it starts at a sequence number the log already holds: a duplicated frame or
    /// frames out of order).
    static func message(in name: String, expected: UInt64, found: UInt64) -> String {
        let what =
            found > expected
            ? "sequence gap in \(name)"
            : "sequence repeated in \(name) (a duplicated frame, or frames out of order)"
        return "\(what): expected a frame starting at sequence \(expected), found one starting at \(found)"
    }
}
