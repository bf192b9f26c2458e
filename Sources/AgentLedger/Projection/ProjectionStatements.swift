import GRDB

/// The projector's hot statements, prepared once per connection and reused for every batch.
final class ProjectionStatements {
    let insertItem: RawStatement
    let indexItem: RawStatement
    /// The flush of a session's state: current branch (1), last event (2) and its time (3) of
    /// session (4).
    let updateSession: RawStatement
    /// The flush of a branch's state: turn count (1), last live row (2, 3) of session (4),
    /// branch (5).
    let updateBranch: RawStatement
    /// The last sequence number (2) at an event time (1).
    let recordEventTime: RawStatement

    init(_ db: Database) throws {
        insertItem = try RawStatement(
            db,
            sql: """
                INSERT INTO item (session, branch, item_seq, item_index, turn, is_user, item_type, tool_name,
                                  is_tool_call, added_seq, added_at, json, prev_seq, prev_index)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?3, ?10, ?11, ?12, ?13)
                """
        )
        indexItem = try RawStatement(db, sql: "INSERT INTO item_fts (rowid, text, scope) VALUES (?, ?, ?)")
        updateSession = try RawStatement(
            db,
            sql: "UPDATE session SET current_branch = ?1, last_seq = ?2, last_at = ?3 WHERE id = ?4"
        )
        updateBranch = try RawStatement(
            db,
            sql: "UPDATE branch SET turn_count = ?1, last_seq = ?2, last_index = ?3 WHERE session = ?4 AND name = ?5"
        )
        recordEventTime = try RawStatement(
            db,
            sql: """
                INSERT INTO event_time (at, seq) VALUES (?1, ?2)
                ON CONFLICT (at) DO UPDATE SET seq = max(seq, excluded.seq)
                """
        )
    }
}
