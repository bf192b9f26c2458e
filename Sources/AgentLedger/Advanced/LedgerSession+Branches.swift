extension LedgerSession {
    /// The current branch (`main` for a session that does not exist yet), now or at a past position.
    public func currentBranch(asOf: AsOf? = nil) async throws -> String {
        let sessionID = sessionID
        return try await read(branch: nil, asOf: asOf) { db in
            let position = try ReadModel.resolve(asOf, db: db)
            return try ReadModel.currentBranch(db, session: sessionID, at: position) ?? "main"
        }
    }

    /// Creates a branch holding the turns before user turn `turn` of the current branch, and
    /// makes it current.
    ///
    /// - Parameter name: the new branch's name; `nil` generates `branch_from_turn_<n>_<unix seconds>`.
    /// - Returns: the new branch's name.
    /// - Throws: `notFound` when the current branch has no user item at `turn`; `invalidArgument`
    ///   for a blank name; `conflict` for a name used before in the session (also deleted ones).
    @discardableResult
    public func createBranch(fromTurn turn: Int, named name: String? = nil) async throws -> String {
        try await createBranch(.turn(turn), name: name)
    }

    /// Creates a branch from the earliest user turn of the current branch whose content contains
    /// `text` (literal, case-insensitive), like ``createBranch(fromTurn:named:)``.
    ///
    /// - Throws: `notFound` when no user turn matches.
    @discardableResult
    public func createBranch(fromTurnContaining text: String, named name: String? = nil) async throws -> String {
        try await createBranch(.turnContaining(text), name: name)
    }

    private func createBranch(_ source: WriteCommand.BranchSource, name: String?) async throws -> String {
        let outcome = try await ledger.write(.createBranch(session: sessionID, source: source, name: name))
        guard case .branchCreated(let name, _) = outcome else {
            throw LedgerError(.conflict, "the branch was not created")
        }
        return name
    }

    /// Makes `name` the current branch.
    ///
    /// - Throws: `notFound` for an unknown or deleted branch; `invalidArgument` for a blank name.
    public func switchToBranch(_ name: String) async throws {
        _ = try await ledger.write(.switchBranch(session: sessionID, name: name))
    }

    /// Deletes a branch. Its name stays reserved; items it shares with other branches stay there.
    ///
    /// - Parameter force: required to delete the current branch; the session then switches to `main`.
    /// - Throws: `conflict` for `main` or for the current branch without `force`; `notFound` for
    ///   an unknown branch; `invalidArgument` for a blank name.
    public func deleteBranch(_ name: String, force: Bool = false) async throws {
        _ = try await ledger.write(.deleteBranch(session: sessionID, name: name, force: force))
    }

    /// The session's branches in creation order, now or at a past position.
    public func listBranches(asOf: AsOf? = nil) async throws -> [BranchInfo] {
        let sessionID = sessionID
        return try await read(branch: nil, asOf: asOf) { db in
            try ReadModel.branches(db, session: sessionID, at: try ReadModel.resolve(asOf, db: db))
        }
    }
}
