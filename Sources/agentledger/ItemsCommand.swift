import AgentLedger
import ArgumentParser

/// `agentledger items SESSION [--limit N] [--branch B] [--as-of-seq N | --as-of-time T]`.
struct ItemsCommand: AsyncParsableCommand, StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "items",
        abstract: "Print a session's items, oldest first, as a JSON array.",
        discussion: """
            Each item is printed exactly as it was added, one per line: '[', the items joined \
            with ",<newline>", then ']'. An unknown or empty session prints []. An unknown branch \
            exits 65.
            """
    )

    @OptionGroup var store: StoreOptions

    @Argument(help: "The session id.")
    var session: String

    @Option(
        name: .long,
        parsing: .unconditional,
        help: ArgumentHelp("Only the latest N items (still oldest first); 0 prints [].", valueName: "n")
    )
    var limit: Int?

    @Option(name: .long, help: ArgumentHelp("Read this branch instead of the current one.", valueName: "branch"))
    var branch: String?

    @OptionGroup var asOf: AsOfOptions

    mutating func validate() throws {
        try ArgumentChecks.session(session)
        try ArgumentChecks.notNegative(limit, "--limit")
    }

    func run() async throws {
        let items = try await store.withLedger(.read) { ledger in
            let session = ledger.session(session)
            try await session.requireBranch(branch, asOf: asOf.asOf)
            return try await session.items(limit: limit, branch: branch, asOf: asOf.asOf)
        }
        var output = OutputBuffer()
        output.append("[")
        for (index, item) in items.enumerated() {
            if index > 0 {
                output.append(",\n")
            }
            output.append(bytes: item.jsonBytes)
        }
        output.line("]")
        try output.flush()
    }
}
