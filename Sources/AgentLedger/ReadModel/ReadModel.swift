import Crypto
import Foundation
import GRDB
import Synchronization

/// The SQLite read model (`<store>/views.sqlite`): a WAL-mode `DatabasePool` with one writer
/// connection, used only by the ledger's writer thread (or a rebuild), and a fixed number of
/// read-only connections for queries. Nothing here opens a connection per call or per thread.
final class ReadModel: Sendable {
    /// The file name of the read model inside the store directory.
    static let fileName = "views.sqlite"

    /// Whether `error` says that the read model's file is damaged (SQLite's `CORRUPT` or
    /// `NOTADB`).
    static func isDamage(_ error: DatabaseError) -> Bool {
        error.resultCode == .SQLITE_CORRUPT || error.resultCode == .SQLITE_NOTADB
    }

    /// What to do about a damaged read model, for error messages.
    static let damageAdvice =
        "The log holds every event: rebuild the read model from it (rebuildViews() on the writing Ledger, "
        + "or agentledger rebuild once no other process writes)"

    let pool: DatabasePool
    let path: String
    /// Whether ``close()`` has run: it unregisters the model from ``ReadModelUsers`` once.
    private let closed = Mutex(false)

    private init(pool: DatabasePool, path: String) {
        self.pool = pool
        self.path = path
    }

    deinit {
        // Dropped without close(): the pool closes its connections as it goes, after this.
        if !closed.withLock({ $0 }) {
            ReadModelUsers.closed(path)
        }
    }

    /// The migrations in the order they apply: the embedded ones, then the options' extra ones.
    static func migrations(_ options: LedgerOptions) -> [(name: String, sql: String)] {
        EmbeddedMigrations.all + options.extraMigrations
    }

    /// A digest of every migration's name and SQL: a read model built with other migrations is
    /// rebuilt from the log rather than migrated in place.
    static func schemaFingerprint(_ options: LedgerOptions) -> String {
        var hasher = SHA256()
        for migration in migrations(options) {
            hasher.update(data: Array(migration.name.utf8) + [0] + Array(migration.sql.utf8) + [0])
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    static func configuration(readOnly: Bool, readerCount: Int, queryQoS: DispatchQoS) -> Configuration {
        var configuration = Configuration()
        configuration.readonly = readOnly
        configuration.maximumReaderCount = max(1, readerCount)
        // The QoS of the reader queues that async reads run on; the writer and the synchronous
        // reads run on the calling thread, whatever the queues' QoS.
        configuration.qos = queryQoS
        configuration.busyMode = .timeout(30)
        configuration.label = "agentledger.views"
        if !readOnly {
            configuration.prepareDatabase { db in
                // The log is the durable copy; the read model can always be caught up from it.
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
            }
        }
        return configuration
    }

    /// Opens an existing read model as it is, with the reader count and query QoS of `options`.
    static func open(path: String, readOnly: Bool, options: LedgerOptions) throws -> ReadModel {
        try open(path: path, readOnly: readOnly, readerCount: options.readerCount, queryQoS: options.queryQoS)
    }

    /// Opens an existing read model as it is; throws if it is missing or unreadable.
    static func open(
        path: String,
        readOnly: Bool,
        readerCount: Int,
        queryQoS: DispatchQoS = LedgerOptions.defaultQueryQoS
    ) throws -> ReadModel {
        guard FileManager.default.fileExists(atPath: path) else {
            throw LedgerError(.notFound, "the read model \(path) does not exist")
        }
        // Registered before its connections open, so that a writer opening the same store in
        // this process meanwhile does not probe the -shm file under them (ReadModelUsers).
        ReadModelUsers.opened(path)
        let pool: DatabasePool
        do {
            pool = try DatabasePool(
                path: path,
                configuration: configuration(readOnly: readOnly, readerCount: readerCount, queryQoS: queryQoS)
            )
        } catch {
            ReadModelUsers.closed(path)
            throw error
        }
        return ReadModel(pool: pool, path: path)
    }

    /// What a read model says about itself: its schema and how far it has applied the log.
    struct Status {
        let fingerprint: String?
        let checkpoint: UInt64
        /// The ``LogIdentity`` of the log it was built from, once a writer has recorded it.
        var logIdentity: String? = nil
        /// The log's head recorded at the last clean close: see ``LogDivergence``.
        var closedHead: String? = nil
        /// The durability option of the last writer that opened the store: see ``DurableThrough``.
        var writerDurability: String? = nil
    }

    func status() throws -> Status {
        try pool.read { db in try Self.status(db) }
    }

    /// The status of the read model open on `db` (see ``status()``).
    static func status(_ db: Database) throws -> Status {
        guard try db.tableExists("ledger_meta") else {
            return Status(fingerprint: nil, checkpoint: 0)
        }
        let fingerprint = try String.fetchOne(
            db,
            sql: "SELECT value FROM ledger_meta WHERE key = 'schema_fingerprint'"
        )
        return Status(
            fingerprint: fingerprint,
            checkpoint: try Projector.checkpoint(db),
            logIdentity: try String.fetchOne(db, sql: "SELECT value FROM ledger_meta WHERE key = 'log_identity'"),
            closedHead: try meta(LogDivergence.closedHeadKey, db),
            writerDurability: try meta(DurableThrough.writerDurabilityKey, db)
        )
    }

    /// The text value of `ledger_meta`'s `key`, or nil.
    private static func meta(_ key: String, _ db: Database) throws -> String? {
        try String.fetchOne(db, sql: "SELECT value FROM ledger_meta WHERE key = ?", arguments: [key])
    }

    /// Sets `ledger_meta`'s `key` to `value` in the read model in `writer`; nothing is written
    /// when it holds that value already.
    static func setMeta(_ key: String, _ value: String, in writer: some DatabaseWriter) throws {
        try writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO ledger_meta (key, value) VALUES (?, ?)
                    ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE value IS NOT excluded.value
                    """,
                arguments: [key, value]
            )
        }
    }

    /// Records `identity` as the ``LogIdentity`` of the log this model is built from, unless
    /// one is recorded already.
    func recordLogIdentity(_ identity: String) throws {
        try Self.recordLogIdentity(identity, in: pool)
    }

    /// Records `identity` as the ``LogIdentity`` of the log the read model in `writer` is built
    /// from, unless one is recorded already.
    static func recordLogIdentity(_ identity: String, in writer: some DatabaseWriter) throws {
        try writer.write { db in try recordLogIdentity(identity, db: db) }
    }

    /// Records `identity` as the ``LogIdentity`` of the log the read model is built from, in
    /// the transaction open on `db`, unless one is recorded already.
    static func recordLogIdentity(_ identity: String, db: Database) throws {
        try db.execute(
            sql: "INSERT INTO ledger_meta (key, value) VALUES ('log_identity', ?) ON CONFLICT (key) DO NOTHING",
            arguments: [identity]
        )
    }

    /// Interrupts the statements running on the read model's connections, which then fail
    /// with `SQLITE_INTERRUPT`: so that a close does not wait for a long query to end. A no-op
    /// for the statements of a connection that runs none at this moment (SQLite's
    /// `sqlite3_interrupt`), but not for its next checkpoint: call ``close()`` next.
    func interruptQueries() {
        pool.interrupt()
    }

    /// Checkpoints the WAL into the database file and empties it, then closes every
    /// connection. An emptied WAL matters: if the database file is later damaged or replaced
    /// while the store is closed, a leftover WAL could otherwise make it look valid on open.
    func close() throws {
        if !pool.configuration.readonly {
            try? pool.writeWithoutTransaction { db in
                // A statement that starts while none runs clears an interrupt left on the
                // connection by ``interruptQueries()`` when it ran nothing: the checkpoint is no
                // statement and would stop at it, leaving the WAL full (an unclean close).
                try db.execute(sql: "SELECT 1")
                _ = try db.checkpoint(.truncate)
            }
        }
        try pool.close()
        // Only once its connections are closed: until then they hold the -shm file's locks.
        let wasClosed = closed.withLock { closed in
            defer { closed = true }
            return closed
        }
        if !wasClosed {
            ReadModelUsers.closed(path)
        }
    }

    /// Creates the schema in an empty database and records its fingerprint.
    static func migrate(_ writer: some DatabaseWriter, options: LedgerOptions) throws {
        var migrator = DatabaseMigrator()
        for migration in migrations(options) {
            migrator.registerMigration(migration.name) { db in
                try db.execute(sql: migration.sql)
            }
        }
        try migrator.migrate(writer)
        try writer.write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO ledger_meta (key, value) VALUES ('schema_fingerprint', ?)",
                arguments: [schemaFingerprint(options)]
            )
        }
    }
}
