import Foundation
import GRDB

extension Ledger {
    /// Imports an OpenAI Agents SDK session database: every session of `sessionsTable` (and any
    /// session that only appears in `messagesTable`), items verbatim, read-only.
    ///
    /// From a `SQLiteSession` database a session's items are its messages in `id` order. From
    /// an `AdvancedSQLiteSession` database (one with `message_structure`) each branch is
    /// imported with the items the SDK's `get_items` reads on it: `main` first, then every other
    /// branch created from the turn of an imported branch whose items it starts with (the SDK's
    /// branches share those rows), and `main` is current afterwards. Usage records (`turn_usage`)
    /// and messages on no branch are not imported; ``ImportSummary/skipped`` lists them.
    ///
    /// - Parameters:
    ///   - skippingInvalid: leave out, instead of refusing the whole import, the rows this store
    ///     cannot hold (message data that is not a JSON object, a session id that is empty, too
    ///     long, or holds a NUL), listing each in ``ImportSummary/skipped``.
    ///   - appending: import into sessions that already exist in this store, after their items.
    ///     Without it such a session refuses the import before anything is written, so that
    ///     importing a file twice cannot double every conversation.
    /// - Throws: `notFound` when the file or its tables do not exist, or the path is a directory;
    ///   `invalidArgument` for a file that is not an SQLite database or lacks the SDK's columns,
    ///   and for an invalid session id; `invalidItem` naming the message id of an item that is not
    ///   a JSON object; `conflict` naming a session that already exists. Nothing is written then.
    public func importSDKSQLite(
        at path: String,
        sessionsTable: String = "agent_sessions",
        messagesTable: String = "agent_messages",
        skippingInvalid: Bool = false,
        appending: Bool = false
    ) async throws -> ImportSummary {
        try checkOpen()
        let database = try await BlockingWork.run(name: "agentledger-import-sdk") {
            try SDKDatabase.read(
                at: path,
                sessionsTable: sessionsTable,
                messagesTable: messagesTable,
                skippingInvalid: skippingInvalid
            )
        }
        try await checkNoClash(database, appending: appending)
        var commands: [WriteCommand] = []
        var skipped = database.skipped
        for session in database.sessions {
            commands += SDKImportPlan.commands(for: session, skipped: &skipped)
        }
        var summary = try await submitImport(commands)
        summary.skipped = skipped
        return summary
    }

    /// Refuses the import before anything is written when a session it would write already
    /// exists here (unless `appending`), or, when appending, one of its branches other than
    /// `main` does: a refused branch would send its items to the branch current before it.
    private func checkNoClash(_ database: SDKDatabase, appending: Bool) async throws {
        let sessions = database.sessions.map { ($0.id, $0.branches.dropFirst().map(\.name)) }
        let clash: String? = try await read { db in
            for (id, branches) in sessions {
                let exists =
                    try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM session WHERE id = ?)", arguments: [id])
                    ?? false
                if exists && !appending {
                    return "session '\(id)' already exists in this store: importing would add the file's items after "
                        + "the ones it has (importing the same file twice doubles every session). Import into a new "
                        + "store, or append on purpose"
                }
                for name in branches
                where try Bool.fetchOne(
                    db,
                    sql: "SELECT EXISTS (SELECT 1 FROM branch WHERE session = ? AND name = ?)",
                    arguments: [id, name]
                ) ?? false {
                    return "branch '\(name)' of session '\(id)' already exists in this store (branch names are never "
                        + "reused): nothing was imported"
                }
            }
            return nil
        }
        if let clash {
            throw LedgerError(.conflict, clash)
        }
    }
}
