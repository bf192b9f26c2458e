import GRDB
import GRDBSQLite

/// Moves the read model's WAL checkpoints out of the writer's COMMIT and between its group
/// commits.
///
/// SQLite's automatic checkpoint runs inside the COMMIT that takes the WAL past 1,000 pages,
/// and with `synchronous = NORMAL` it fsyncs the WAL and the database there. Queries of this
/// ledger wait for the COMMIT of a batch acknowledged before it (``AppliedSequence``), so they
/// would wait for those fsyncs too. This replaces the automatic checkpoint on the writer
/// connection with a WAL hook that only counts the WAL's pages; the writer thread runs the same
/// passive checkpoint once a group commit is done and published.
final class WALCheckpointer: @unchecked Sendable {  // confined to the writer thread
    /// WAL pages after which the writer checkpoints: SQLite's automatic checkpoint threshold.
    static let pageThreshold: Int32 = 1000

    /// Pages in the WAL after its last commit, as the hook reported them.
    private var pages: Int32 = 0

    /// Whether the WAL has grown past ``pageThreshold`` since the last checkpoint.
    var isDue: Bool { pages >= Self.pageThreshold }

    /// Makes the next check due whatever the hook counted: after writes the hook does not see,
    /// such as the backup API's copy of a rebuilt read model.
    func markDue() {
        pages = Self.pageThreshold
    }

    /// Installs the hook on `db`, the read model's writer connection; it replaces SQLite's
    /// automatic checkpoint there. Call ``uninstall(from:)`` before this object goes away.
    ///
    /// It also sets the connection's `journal_size_limit` to `sizeLimit` bytes: without it
    /// SQLite starts a checkpointed WAL over from its beginning but never makes the file
    /// smaller, so one burst (an online rebuild copies the whole model through it) kept its
    /// size on disk until the store closed.
    func install(on db: Database, sizeLimit: Int) {
        // Only an out-of-memory error can refuse this pragma; the WAL then keeps its size, as
        // before, and nothing else depends on it.
        try? db.execute(sql: "PRAGMA journal_size_limit = \(sizeLimit)")
        sqlite3_wal_hook(
            db.sqliteConnection,
            { context, _, _, pages in
                if let context {
                    Unmanaged<WALCheckpointer>.fromOpaque(context).takeUnretainedValue().pages = pages
                }
                return SQLITE_OK
            },
            Unmanaged.passUnretained(self).toOpaque()
        )
    }

    /// Removes the hook and turns SQLite's automatic checkpoint back on.
    func uninstall(from db: Database) {
        sqlite3_wal_autocheckpoint(db.sqliteConnection, Self.pageThreshold)
    }

    /// Copies the WAL into the database as far as no reader still needs it (a passive
    /// checkpoint, as the automatic one); throws SQLite's error.
    func checkpoint(_ db: Database) throws {
        pages = 0
        let code = sqlite3_wal_checkpoint_v2(db.sqliteConnection, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
        guard code == SQLITE_OK || code == SQLITE_BUSY else {
            throw DatabaseError(
                resultCode: ResultCode(rawValue: code),
                message: String(cString: sqlite3_errmsg(db.sqliteConnection))
            )
        }
    }
}
