import Foundation
import GRDB
import GRDBSQLite

/// An item's JSON as the read model stores it, decoded straight from SQLite's column bytes.
///
/// ``ReadModel/items(_:session:branch:limit:asOf:)`` fetches its first row through GRDB's
/// `FastDatabaseValueCursor` of this type, which runs GRDB's checks before the first step (a
/// query whose task was cancelled before then throws `CancellationError` instead of running to
/// its end: `sqlite3_interrupt` has no effect while no statement runs), and decodes the other
/// rows with ``init(sqliteStatement:index:)`` as it steps them through SQLite's C API.
struct StoredItemColumn: DatabaseValueConvertible, StatementColumnConvertible {
    /// The item.
    let item: SessionItem

    init(sqliteStatement: SQLiteStatement, index: CInt) {
        let count = Int(sqlite3_column_bytes(sqliteStatement, index))
        item = SessionItem(
            storedBytes: UnsafeRawBufferPointer(start: sqlite3_column_blob(sqliteStatement, index), count: count)
        )
    }

    var databaseValue: DatabaseValue {
        Data(item.jsonBytes).databaseValue
    }

    static func fromDatabaseValue(_ dbValue: DatabaseValue) -> StoredItemColumn? {
        switch dbValue.storage {
        case .string(let text):
            return StoredItemColumn(item: SessionItem(storedJSON: text))
        case .blob(let data):
            return data.withUnsafeBytes { StoredItemColumn(item: SessionItem(storedBytes: $0)) }
        default:
            return nil
        }
    }

    private init(item: SessionItem) {
        self.item = item
    }
}
