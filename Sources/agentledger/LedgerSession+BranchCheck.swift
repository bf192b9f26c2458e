import AgentLedger

extension LedgerSession {
    /// Checks that `branch` (when given) exists in the session at `asOf`, so that a read of an
    /// unknown branch fails (exit 65) instead of answering with nothing. `main` always exists,
    /// also for a session that was never written.
    func requireBranch(_ branch: String?, asOf: AsOf? = nil) async throws {
        guard let branch, branch != "main" else {
            return
        }
        let branches = try await listBranches(asOf: asOf)
        guard branches.contains(where: { $0.name == branch }) else {
            let names = branches.map(\.name).joined(separator: ", ")
            throw CLIFailure.data(
                "branch '\(branch)' does not exist in session '\(sessionID)'"
                    + (asOf == nil ? "" : " at that position") + (names.isEmpty ? "" : " (branches: \(names))")
            )
        }
    }
}
