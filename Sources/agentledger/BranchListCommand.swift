import AgentLedger
import ArgumentParser

/// `agentledger branch list SESSION [--json] [--as-of-seq N | --as-of-time T]`.
struct BranchListCommand: AsyncParsableCommand, StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List a session's branches in creation order.",
        discussion: """
            Columns: CURRENT ('*' for the current branch), BRANCH, ITEMS, TURNS (user turns), \
            CREATED, FROM (parent branch and turn). With --json, an array of {"name","current",\
            "items","user_turns","created","created_seq","parent","from_turn"}.
            """
    )

    @OptionGroup var store: StoreOptions

    @Argument(help: "The session id.")
    var session: String

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    @OptionGroup var asOf: AsOfOptions

    mutating func validate() throws {
        try ArgumentChecks.session(session)
    }

    func run() async throws {
        let branches = try await store.withLedger(.read) { ledger in
            try await ledger.session(session).listBranches(asOf: asOf.asOf)
        }
        var output = OutputBuffer()
        if json {
            output.line(
                JSONText.array(
                    branches.map { branch in
                        var object = JSONText()
                        object.string("name", branch.name)
                        object.bool("current", branch.isCurrent)
                        object.number("items", branch.itemCount)
                        object.number("user_turns", branch.userTurnCount)
                        object.string("created", Timestamp.format(branch.createdAt))
                        object.number("created_seq", branch.createdSequence)
                        object.string("parent", branch.parent)
                        object.number("from_turn", branch.fromTurn)
                        return object.object
                    }
                )
            )
        } else {
            var table = TextTable(["CURRENT", "BRANCH", "ITEMS", "TURNS", "CREATED", "FROM"])
            for branch in branches {
                let from = branch.parent.map { "\($0) turn \(branch.fromTurn ?? 0)" } ?? ""
                table.add([
                    branch.isCurrent ? "*" : "", branch.name, "\(branch.itemCount)", "\(branch.userTurnCount)",
                    Timestamp.format(branch.createdAt), from,
                ])
            }
            for line in table.lines {
                output.line(line)
            }
        }
        try output.flush()
    }
}
