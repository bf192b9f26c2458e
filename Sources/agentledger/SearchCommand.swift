import AgentLedger
import ArgumentParser

/// `agentledger search [SESSION] QUERY [--limit N] [--branch B] [--json]`.
struct SearchCommand: AsyncParsableCommand, StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Full-text search over live items: one session, or the whole store.",
        discussion: """
            With one argument it is the query and the whole store is searched; with two, the \
            session and the query. The query uses SQLite FTS5 syntax: words, "exact phrases", \
            prefix*, AND/OR/NOT; an empty query, or one FTS5 cannot parse, exits 65. Best match first. Columns: \
            SESSION, BRANCH, TURN, SEQ, ITEM (a preview). With --json, an array of \
            {"session","branch","turn","seq","rank","item"} where "item" is the item, verbatim.
            """
    )

    @OptionGroup var store: StoreOptions

    @Argument(help: ArgumentHelp("[SESSION] QUERY", valueName: "session-and-query"))
    var terms: [String] = []

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("At most N results.", valueName: "n"))
    var limit = 20

    @Option(name: .long, help: ArgumentHelp("Only this branch (needs SESSION).", valueName: "branch"))
    var branch: String?

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    mutating func validate() throws {
        guard (1...2).contains(terms.count) else {
            throw ValidationError("give a query, or a session and a query")
        }
        if terms.count == 2 {
            try ArgumentChecks.session(terms[0])
        } else if branch != nil {
            throw ValidationError("--branch needs a session: agentledger search SESSION QUERY --branch B")
        }
        if limit < 1 {
            throw ValidationError("--limit must be 1 or more, not \(limit)")
        }
    }

    func run() async throws {
        let query = terms[terms.count - 1]
        let sessionID = terms.count == 2 ? terms[0] : nil
        let hits = try await store.withLedger(.read) { ledger in
            guard let sessionID else {
                return try await ledger.search(query, limit: limit)
            }
            let session = ledger.session(sessionID)
            try await session.requireBranch(branch)
            return try await session.search(query, limit: limit, branch: branch)
        }
        var output = OutputBuffer()
        if json {
            output.line(
                JSONText.array(
                    hits.map { hit in
                        var object = JSONText()
                        object.string("session", hit.sessionID)
                        object.string("branch", hit.branch)
                        object.number("turn", hit.turn)
                        object.number("seq", hit.sequence)
                        object.number("rank", hit.rank)
                        object.raw("item", hit.item.json)
                        return object.object
                    }
                )
            )
        } else {
            var table = TextTable(["SESSION", "BRANCH", "TURN", "SEQ", "ITEM"])
            for hit in hits {
                table.add([
                    hit.sessionID, hit.branch, "\(hit.turn)", "\(hit.sequence)",
                    TextTable.preview(hit.item.json, limit: 80),
                ])
            }
            for line in table.lines {
                output.line(line)
            }
        }
        try output.flush()
    }
}
