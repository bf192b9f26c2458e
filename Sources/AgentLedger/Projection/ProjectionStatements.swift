import GRDB

/// The projector's hot statements, prepared once per connection and reused for every batch.
final class ProjectionStatements {
    let insertItem: RawStatement
    let indexItem: RawStatement

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
    }
}
