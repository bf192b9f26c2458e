import Crypto
import GRDB

/// A canonical digest of a read model's rows, table by table, to compare a live read model with
/// a fresh rebuild (`verify --deep`). Row ids are left out: they are not part of the meaning.
struct ReadModelDigest: Equatable {
    struct Table: Equatable {
        let name: String
        let rowCount: Int
        let digest: [UInt8]
    }

    let tables: [Table]

    /// The tables and columns compared, in a fixed order.
    static let tableColumns: [(table: String, columns: String)] = [
        ("session", "id, current_branch, created_seq, created_at, last_seq, last_at"),
        ("session_head", "session, seq, current_branch"),
        (
            "branch",
            "session, name, ordinal, parent, from_turn, created_seq, created_at, deleted_seq, turn_count, cleared_seq, "
                + "last_seq, last_index"
        ),
        (
            "item",
            "session, branch, item_seq, item_index, turn, is_user, item_type, tool_name, is_tool_call, "
                + "added_seq, added_at, removed_seq, json, prev_seq, prev_index"
        ),
        (
            "usage",
            "session, branch, turn, requests, input_tokens, output_tokens, total_tokens, details, "
                + "recorded_seq, recorded_at, removed_seq"
        ),
        ("event_time", "at, seq"),
    ]

    init(_ db: Database) throws {
        var tables: [Table] = []
        for (table, columns) in Self.tableColumns {
            var hasher = SHA256()
            var count = 0
            let rows = try Row.fetchCursor(db, sql: "SELECT \(columns) FROM \(table) ORDER BY \(columns)")
            while let row = try rows.next() {
                count += 1
                for value in row.databaseValues {
                    hasher.update(data: Array(String(describing: value).utf8) + [0x1F])
                }
                hasher.update(data: [0x1E])
            }
            tables.append(Table(name: table, rowCount: count, digest: Array(hasher.finalize())))
        }
        self.tables = tables
    }

    /// One line per table that differs.
    func differences(from other: ReadModelDigest) -> [String] {
        zip(tables, other.tables).compactMap { mine, theirs in
            guard mine != theirs else {
                return nil
            }
            return "table \(mine.name) differs: live \(mine.rowCount) rows, rebuilt \(theirs.rowCount) rows"
                + (mine.rowCount == theirs.rowCount ? " (same count, different content)" : "")
        }
    }
}
