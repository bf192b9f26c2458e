import GRDB
import GRDBSQLite

/// A prepared SQLite statement driven through the C API, for the projector's hot inserts.
///
/// GRDB's statements validate and box every argument; at tens of thousands of rows per second
/// that overhead dominates, so the inserts that run once per item, and the updates that run
/// for every session and branch of every group commit, use this instead
/// (DESIGN.md: "drop to the raw sqlite3 C API through db.sqliteConnection inside GRDB's write
/// closure"). It belongs to one connection and is used only inside that connection's write
/// closures, on one thread at a time: a rebuild's replay prepares its statements per
/// transaction, and the writer keeps its own for the connection's life (``LedgerWriter``
/// drops them on the writer thread before the connection closes).
final class RawStatement {
    private let handle: OpaquePointer
    private let connection: OpaquePointer

    init(_ db: Database, sql: String) throws {
        guard let connection = db.sqliteConnection else {
            throw LedgerError(.sqlite, "the read model connection is closed")
        }
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v3(connection, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard code == SQLITE_OK, let statement else {
            throw DatabaseError(
                resultCode: ResultCode(rawValue: code),
                message: String(cString: sqlite3_errmsg(connection))
            )
        }
        self.handle = statement
        self.connection = connection
    }

    deinit {
        sqlite3_finalize(handle)
    }

    func bind(_ index: Int32, _ value: Int64) {
        sqlite3_bind_int64(handle, index, value)
    }

    /// Binds an integer, or NULL for `nil`.
    func bind(_ index: Int32, _ value: Int64?) {
        guard let value else {
            sqlite3_bind_null(handle, index)
            return
        }
        sqlite3_bind_int64(handle, index, value)
    }

    func bind(_ index: Int32, _ value: Int) {
        sqlite3_bind_int64(handle, index, Int64(value))
    }

    func bind(_ index: Int32, _ value: Bool) {
        sqlite3_bind_int64(handle, index, value ? 1 : 0)
    }

    /// Binds UTF-8 text by length (NUL bytes inside are kept).
    func bind(_ index: Int32, _ value: String?) {
        guard var value else {
            sqlite3_bind_null(handle, index)
            return
        }
        value.withUTF8 { bindUTF8(index, UnsafeRawBufferPointer($0)) }
    }

    /// Binds UTF-8 bytes as text.
    func bindText(_ index: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { bindUTF8(index, $0) }
    }

    private func bindUTF8(_ index: Int32, _ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            sqlite3_bind_text(handle, index, "", 0, SQLITE_TRANSIENT_POINTER)
            return
        }
        sqlite3_bind_text64(
            handle,
            index,
            base.assumingMemoryBound(to: CChar.self),
            UInt64(bytes.count),
            SQLITE_TRANSIENT_POINTER,
            UInt8(SQLITE_UTF8)
        )
    }

    /// Runs the statement to completion and resets it for the next use.
    func run() throws {
        let code = sqlite3_step(handle)
        sqlite3_reset(handle)
        guard code == SQLITE_DONE || code == SQLITE_ROW else {
            throw DatabaseError(
                resultCode: ResultCode(rawValue: code),
                message: String(cString: sqlite3_errmsg(connection))
            )
        }
    }

    /// The rowid of the last row inserted on the connection.
    var lastInsertedRowID: Int64 {
        sqlite3_last_insert_rowid(connection)
    }
}

/// SQLite's SQLITE_TRANSIENT: the library copies the bound bytes before the call returns.
private let SQLITE_TRANSIENT_POINTER = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
