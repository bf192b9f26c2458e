import Foundation
import GRDB

extension Ledger {
    /// The most commands sent to the writer as one group commit during an import.
    static let importCommandsPerCommit = 1000

    /// Replays events exported from a store (`agentledger export`) into this one, as the
    /// commands that produced them: adds, pops, clears, branch changes and usage, session by
    /// session in log order. Sequence numbers and times are this store's; item JSON is kept
    /// verbatim. Into empty sessions this reproduces the source sessions exactly. A command
    /// this store refuses (a branch name it already used, say) is reported in the summary with
    /// its event, and the ones after it are still written.
    public func importEvents(_ events: [LedgerEvent]) async throws -> ImportSummary {
        var current: [[UInt8]: String] = [:]  // by the id's bytes, as the store compares them
        var commands: [WriteCommand] = []
        var origins: [Int] = []  // for each command, the index of its event
        var items = 0
        for (index, event) in events.enumerated() {
            defer { origins += Array(repeating: index, count: commands.count - origins.count) }
            let session = event.sessionID
            let key = Array(session.utf8)
            if current[key] == nil {
                current[key] = try await self.session(session).currentBranch()
            }
            func onBranch() {
                if current[key] != event.branch {
                    commands.append(.switchBranch(session: session, name: event.branch))
                    current[key] = event.branch
                }
            }
            switch event.payload {
            case .itemsAdded(let added):
                onBranch()
                items += added.count
                commands.append(.addItems(session: session, items: added))
            case .itemPopped:
                onBranch()
                commands.append(.popItem(session: session))
            case .sessionCleared:
                commands.append(.clearSession(session: session))
                current[key] = "main"
            case .branchCreated(let source, let turn):
                if current[key] != source {
                    commands.append(.switchBranch(session: session, name: source))
                }
                commands.append(.createBranch(session: session, source: .turn(turn), name: event.branch))
                current[key] = event.branch
            case .branchSwitched:
                onBranch()
            case .branchDeleted(let switchedToMain):
                commands.append(.deleteBranch(session: session, name: event.branch, force: true))
                if switchedToMain {
                    current[key] = "main"
                }
            case .usageRecorded(_, let usage):
                onBranch()
                commands.append(.recordUsage(session: session, usage: usage))
            }
        }
        return try await submitImport(commands, origins: origins, sessions: current.count, items: items)
    }

    /// Imports an OpenAI Agents SDK `SQLiteSession` database: every session of `sessionsTable`
    /// (and any session that only appears in `messagesTable`), its items from `message_data`
    /// in `id` order, appended as events. The file is opened read-only.
    ///
    /// - Throws: `notFound` when the file or its tables do not exist; `invalidItem` naming the
    ///   message id of an item that is not a JSON object (nothing is imported then).
    public func importSDKSQLite(
        at path: String,
        sessionsTable: String = "agent_sessions",
        messagesTable: String = "agent_messages"
    ) async throws -> ImportSummary {
        guard FileManager.default.fileExists(atPath: path) else {
            throw LedgerError(.notFound, "no SQLite database at \(path)")
        }
        let sessions: [(String, [SessionItem])] = try await BlockingWork.run(name: "agentledger-import-sdk") {
            var configuration = Configuration()
            configuration.readonly = true
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? queue.close() }
            return try queue.read { db in
                for table in [sessionsTable, messagesTable] where try !db.tableExists(table) {
                    throw LedgerError(
                        .notFound,
                        "\(path) has no table \(table): is it an Agents SDK SQLiteSession database?"
                    )
                }
                let ids = try String.fetchAll(
                    db,
                    sql: """
                        SELECT session_id FROM (
                            SELECT session_id, min(created_at) AS first FROM \(sessionsTable) GROUP BY session_id
                            UNION ALL
                            SELECT session_id, NULL FROM \(messagesTable)
                            WHERE session_id NOT IN (SELECT session_id FROM \(sessionsTable))
                            GROUP BY session_id
                        ) ORDER BY first IS NULL, first, session_id
                        """
                )
                return try ids.map { id in
                    let rows = try Row.fetchAll(
                        db,
                        sql: "SELECT id, message_data FROM \(messagesTable) WHERE session_id = ? ORDER BY id",
                        arguments: [id]
                    )
                    let items = try rows.map { row in
                        let messageID: Int64 = row[0]
                        let text: String = row[1]
                        do {
                            return try SessionItem(json: text)
                        } catch let error as LedgerError {
                            throw LedgerError(
                                .invalidItem,
                                "message \(messageID) of session '\(id)' is not importable: \(error.message)"
                            )
                        }
                    }
                    return (id, items)
                }
            }
        }
        var commands: [WriteCommand] = []
        var items = 0
        for (id, sessionItems) in sessions {
            var start = 0
            while start < sessionItems.count {
                let chunk = Array(sessionItems[start..<min(start + 1000, sessionItems.count)])
                commands.append(.addItems(session: id, items: chunk))
                items += chunk.count
                start += chunk.count
            }
        }
        return try await submitImport(commands, sessions: sessions.count, items: items)
    }

    private func submitImport(
        _ commands: [WriteCommand],
        origins: [Int]? = nil,
        sessions: Int,
        items: Int
    ) async throws -> ImportSummary {
        var written = 0
        var refused: [String] = []
        var refusedEventIndexes: [Int] = []
        var start = 0
        while start < commands.count {
            let chunk = Array(commands[start..<min(start + Self.importCommandsPerCommit, commands.count)])
            start += chunk.count
            guard case .sequence(let outcomes) = try await write(.sequence(chunk)) else {
                continue
            }
            for (offset, outcome) in outcomes.enumerated() {
                switch outcome {
                case .success(.nothing):
                    break
                case .success:
                    written += 1
                case .failure(let error):
                    refused.append(error.message)
                    if let origins {
                        refusedEventIndexes.append(origins[start - chunk.count + offset])
                    }
                }
            }
        }
        var summary = ImportSummary(eventsWritten: written, sessions: sessions, items: items, refused: refused)
        summary.refusedEventIndexes = refusedEventIndexes
        return summary
    }
}
