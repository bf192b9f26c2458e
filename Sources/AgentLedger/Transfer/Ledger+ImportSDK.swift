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
    ///     Without it (or `resuming`) such a session refuses the import before anything is
    ///     written, so that importing a file twice cannot double every conversation.
    ///   - resuming: finish an import of the same file that stopped (a crash, an interrupt, a
    ///     full disk): a session this store holds as the import writes it is skipped (listed in
    ///     ``ImportSummary/skipped``), one it left in part gets the rest of its commands
    ///     (``SDKImportResume``), and any other session that exists here refuses the import with
    ///     `conflict` before anything is written. Not with `appending`.
    ///   - progress: called after each group commit of the import, from the caller's task.
    ///
    /// The import is not one transaction: cancelling the caller's task stops it between two
    /// group commits with `cancelled`, whose message says which sessions are in the store (then
    /// import again with `resuming`).
    /// - Throws: `notFound` when the file does not exist, or the path is a directory;
    ///   `invalidArgument` for a file that is not an SQLite database or lacks the SDK's tables or
    ///   columns, for an invalid session id, and for `appending` with `resuming`; `invalidItem` naming the
    ///   message id of an item that is not a JSON object; `conflict` naming a session that
    ///   already exists (or, resuming, one that is not what a stopped import leaves). Nothing is
    ///   written then.
    public func importSDKSQLite(
        at path: String,
        sessionsTable: String = "agent_sessions",
        messagesTable: String = "agent_messages",
        skippingInvalid: Bool = false,
        appending: Bool = false,
        resuming: Bool = false,
        progress: (@Sendable (ImportProgress) -> Void)? = nil
    ) async throws -> ImportSummary {
        try checkOpen()
        guard !(appending && resuming) else {
            throw LedgerError(
                .invalidArgument,
                "an import appends the file's items to sessions that exist, or resumes a stopped import of the same "
                    + "file, not both"
            )
        }
        let database = try await Self.readSDKDatabase(
            at: path,
            sessionsTable: sessionsTable,
            messagesTable: messagesTable,
            skippingInvalid: skippingInvalid,
            maxItemBytes: options.maxItemBytes
        )
        return try await importSDK(database, appending: appending, resuming: resuming, progress: progress)
    }

    /// Reads an SDK database for ``importSDK(_:appending:resuming:progress:)`` on a thread of its
    /// own, with the checks and errors of
    /// ``importSDKSQLite(at:sessionsTable:messagesTable:skippingInvalid:appending:resuming:progress:)``:
    /// the command line reads the file before it opens (and so creates) a store.
    package static func readSDKDatabase(
        at path: String,
        sessionsTable: String,
        messagesTable: String,
        skippingInvalid: Bool,
        maxItemBytes: Int
    ) async throws -> SDKDatabase {
        try await BlockingWork.run(name: "agentledger-import-sdk") {
            try SDKDatabase.read(
                at: path,
                sessionsTable: sessionsTable,
                messagesTable: messagesTable,
                skippingInvalid: skippingInvalid,
                maxItemBytes: maxItemBytes
            )
        }
    }

    /// Imports `database`, read by ``readSDKDatabase(at:sessionsTable:messagesTable:skippingInvalid:maxItemBytes:)``,
    /// as ``importSDKSQLite(at:sessionsTable:messagesTable:skippingInvalid:appending:resuming:progress:)``
    /// does once it has read the file. Not both `appending` and `resuming`.
    package func importSDK(
        _ database: SDKDatabase,
        appending: Bool,
        resuming: Bool,
        progress: (@Sendable (ImportProgress) -> Void)?
    ) async throws -> ImportSummary {
        try checkOpen()
        let existing = try await Self.beforeImporting {
            resuming ? [:] : try await checkNoClash(database, appending: appending)
        }
        let held = try await Self.beforeImporting { resuming ? try await heldSessions(database) : [:] }
        var commands: [WriteCommand] = []
        var skipped = database.skipped
        // Items as the file holds them: each message once, however many branches share it or
        // went through main on the way (``SDKImportPlan``), of the branches imported.
        var messages = 0
        var starts: [(index: Int, id: String)] = []
        for session in database.sessions {
            var imported = Set<Int64>()
            var addedMessages: [Int: ArraySlice<Int64>] = [:]
            var planned = SDKImportPlan.commands(
                for: session,
                currentBranch: existing[Array(session.id.utf8)],
                maxBytesPerAdd: options.groupCommitMaxBytes,
                messages: &imported,
                skipped: &skipped,
                addedMessages: &addedMessages
            )
            if let held = held[Array(session.id.utf8)] {
                let done = try SDKImportResume.commandsDone(planned, of: session.id, held: held)
                if done == planned.count {
                    skipped.append("session '\(session.id)': already imported whole (resuming)")
                    continue
                }
                // Left in part: the rest of its commands, and the messages they add that the
                // commands done did not (the plan adds some twice: SDKImportPlan).
                var written = Set<Int64>()
                for (index, ids) in addedMessages where index < done {
                    written.formUnion(ids)
                }
                imported.subtract(written)
                planned = Array(planned[done...])
            }
            starts.append((commands.count, session.id))
            commands += planned
            messages += imported.count
        }
        let written = try await submitImport(commands, sessions: starts, progress: progress)
        var summary = ImportSummary(
            eventsWritten: written.eventsWritten,
            sessions: written.sessions,
            items: written.refused.isEmpty ? messages : written.items,
            refused: written.refused
        )
        summary.skipped = skipped
        return summary
    }

    /// What this store holds of each session of `database` that exists here: its branches and
    /// their items, for a resumed import to compare with the file (``SDKImportResume``).
    /// Keyed by the bytes of the session id, as the store compares ids ("café" in NFC and in NFD
    /// are two sessions).
    private func heldSessions(_ database: SDKDatabase) async throws -> [[UInt8]: SDKImportResume.Held] {
        let ids = database.sessions.map(\.id)
        let present: [String] = try await read { db in
            try ids.filter { id in
                try Bool.fetchOne(db, sql: "SELECT 1 FROM session WHERE id = ?", arguments: [id]) ?? false
            }
        }
        var held: [[UInt8]: SDKImportResume.Held] = [:]
        for id in present {
            let session = session(id)
            let branches = try await session.listBranches()
            var items: [[UInt8]: [SessionItem]] = [:]
            for branch in branches {
                items[Array(branch.name.utf8)] = try await session.items(limit: nil, branch: branch.name)
            }
            held[Array(id.utf8)] = SDKImportResume.Held(branches: branches, items: items)
        }
        return held
    }

    /// Refuses the import before anything is written when a session it would write already
    /// exists here (unless `appending`), or, when appending, when such a session has branches
    /// other than `main` in the file: their turns are numbered from the start of the branch, and
    /// the items already here would shift them. Returns the current branch of each session that
    /// exists here (appending), whose items then go to `main`, keyed by the bytes of its id.
    private func checkNoClash(_ database: SDKDatabase, appending: Bool) async throws -> [[UInt8]: String] {
        let sessions = database.sessions.map { ($0.id, $0.branches.count > 1) }
        let answer: Result<[[UInt8]: String], LedgerError> = try await read { db in
            var existing: [[UInt8]: String] = [:]
            for (id, hasBranches) in sessions {
                guard
                    let current = try String.fetchOne(
                        db,
                        sql: "SELECT current_branch FROM session WHERE id = ?",
                        arguments: [id]
                    )
                else {
                    continue
                }
                guard appending else {
                    return .failure(
                        LedgerError(
                            .conflict,
                            "session '\(id)' already exists in this store: importing would add the file's items "
                                + "after the ones it has (importing the same file twice doubles every session). "
                                + "Import into a new store, or append on purpose"
                        )
                    )
                }
                if hasBranches {
                    return .failure(
                        LedgerError(
                            .conflict,
                            "session '\(id)' already exists in this store, and has branches in the file: appending "
                                + "cannot place them (the items here would shift their turns), so nothing was imported"
                        )
                    )
                }
                existing[Array(id.utf8)] = current
            }
            return .success(existing)
        }
        return try answer.get()
    }
}
