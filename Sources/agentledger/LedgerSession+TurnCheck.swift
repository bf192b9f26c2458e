import AgentLedger

extension LedgerSession {
    /// Checks that user turn `turn` exists on `branch` (default: the current one) at `asOf`, so
    /// that a read of an unknown turn fails (exit 65) instead of answering with nothing, in the
    /// words of the library's refusal of `createBranch(fromTurn:)`.
    func requireTurn(_ turn: Int, branch: String?, asOf: AsOf?) async throws {
        let turns = try await conversationTurns(branch: branch, asOf: asOf)
        guard !turns.contains(where: { $0.turn == turn }) else {
            return
        }
        let name: String
        if let branch {
            name = branch
        } else {
            name = try await currentBranch(asOf: asOf)
        }
        throw CLIFailure.data(
            "turn \(turn) does not exist on branch '\(name)' of session '\(sessionID)'"
                + (asOf == nil ? "" : " at that position")
        )
    }
}
