import AgentLedger

extension LedgerSession {
    /// Checks that `branch` (when given) exists in the session at `asOf`, so that a read of an
    /// unknown branch fails (exit 65) instead of answering with nothing. `main` always exists,
    /// also for a session that was never written.
    func requireBranch(_ branch: String?, asOf: AsOf? = nil) async throws {
        guard let branch, !branch.utf8.elementsEqual("main".utf8) else {
            return
        }
        let branches = try await listBranches(asOf: asOf)
        // By bytes, as the store compares names: Swift's == takes "café" in NFC and in NFD, two
        // branches of a session, for one.
        guard branches.contains(where: { $0.name.utf8.elementsEqual(branch.utf8) }) else {
            let names = branches.map(\.name).joined(separator: ", ")
            throw CLIFailure.data(
                "branch '\(branch)' does not exist in session '\(sessionID)'"
                    + (asOf == nil ? "" : " at that position") + (names.isEmpty ? "" : " (branches: \(names))")
            )
        }
    }
}
