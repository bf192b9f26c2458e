import AgentLedger
import ArgumentParser

/// What a reading command looks at: `SESSION [--branch B] [--as-of-seq N | --as-of-time T]`,
/// shared by `items`, `turns`, `find`, `tools` and `usage show`.
struct BranchReadOptions: ParsableArguments {
    @Argument(help: "The session id.")
    var session: String

    @Option(name: .long, help: ArgumentHelp("Read this branch instead of the current one.", valueName: "branch"))
    var branch: String?

    @OptionGroup var position: AsOfOptions

    /// The position to read at, or `nil` for now.
    var asOf: AsOf? { position.asOf }

    mutating func validate() throws {
        try ArgumentChecks.session(session)
    }

    /// Opens `store` for reading and runs `body` on the session once the branch is known to
    /// exist at that position (an unknown branch exits 65).
    func read<T>(_ store: StoreOptions, _ body: (LedgerSession) async throws -> T) async throws -> T {
        try await store.withLedger(.read) { ledger in
            let session = ledger.session(session)
            try await session.requireBranch(branch, asOf: asOf)
            return try await body(session)
        }
    }
}
