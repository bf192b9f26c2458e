extension LedgerSession {
    /// The user turns of `branch` (default: the current one), in order.
    public func conversationTurns(branch: String? = nil, asOf: AsOf? = nil) async throws -> [ConversationTurn] {
        let sessionID = sessionID
        return try await read(branch: branch, asOf: asOf) { db in
            try ReadModel.userTurns(db, session: sessionID, branch: branch, at: try ReadModel.resolve(asOf, db: db))
        }
    }

    /// The user turns whose content (a string, or the `text` of its parts) contains `term` as a
    /// literal, case-insensitive substring; `%`, `_`, quotes and backslashes are literal.
    public func findTurns(
        containing term: String,
        branch: String? = nil,
        asOf: AsOf? = nil
    ) async throws
        -> [ConversationTurn]
    {
        let sessionID = sessionID
        return try await read(branch: branch, asOf: asOf) { db in
            try ReadModel.userTurns(
                db,
                session: sessionID,
                branch: branch,
                at: try ReadModel.resolve(asOf, db: db),
                containing: term
            )
        }
    }

    /// Every turn's items as (type, tool name), in order; turn 0 holds items before the first user item.
    public func conversationByTurns(branch: String? = nil, asOf: AsOf? = nil) async throws -> [TurnItems] {
        let sessionID = sessionID
        return try await read(branch: branch, asOf: asOf) { db in
            try ReadModel.conversationByTurns(
                db,
                session: sessionID,
                branch: branch,
                at: try ReadModel.resolve(asOf, db: db)
            )
        }
    }

    /// Tool calls per tool and turn, ordered by turn. Outputs are not counted, except a
    /// `tool_search_output` in a turn without a `tool_search_call`. Calls without a tool name
    /// (a `function_call` without a `name`, ...) are counted together under a `nil` tool name.
    public func toolUsage(branch: String? = nil, asOf: AsOf? = nil) async throws -> [ToolUse] {
        let sessionID = sessionID
        return try await read(branch: branch, asOf: asOf) { db in
            try ReadModel.toolUsage(db, session: sessionID, branch: branch, at: try ReadModel.resolve(asOf, db: db))
        }
    }
}
