import AgentLedger
import ArgumentParser

/// `agentledger items SESSION [--limit N] [--branch B] [--as-of-seq N | --as-of-time T]`.
struct ItemsCommand: AsyncParsableCommand, StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "items",
        abstract: "Print a session's items, oldest first, as a JSON array.",
        discussion: """
            Each item is printed exactly as it was added: '[', the items joined \
            with ",<newline>", then ']'. An item whose JSON holds line breaks keeps them, so it \
            spans several lines: parse the output as JSON, not line by line. An unknown or empty \
            session prints []. An unknown branch exits 65.
            """
    )

    @OptionGroup var store: StoreOptions

    @OptionGroup var target: BranchReadOptions

    @Option(
        name: .long,
        parsing: .unconditional,
        help: ArgumentHelp("Only the latest N items (still oldest first); 0 prints [].", valueName: "n")
    )
    var limit: Int?

    mutating func validate() throws {
        try ArgumentChecks.notNegative(limit, "--limit")
    }

    func run() async throws {
        let items = try await target.read(store) { session in
            try await session.items(limit: limit, branch: target.branch, asOf: target.asOf)
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
