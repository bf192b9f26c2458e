import AgentLedger
import ArgumentParser

/// `agentledger add SESSION [--file F] [--branch B] [--json]`: appends items.
struct AddCommand: AsyncParsableCommand, StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Append items to a session, from standard input or a file.",
        discussion: """
            The input is a JSON array of objects, or JSON Lines: one object per line, blank lines \
            skipped. The first byte that is not whitespace decides: '[' means an array. Every item \
            is validated before anything is written: a bad line or element exits 65, names the line \
            (JSON Lines) or the element index (array) and the reason, and adds nothing.

            Items are added to the session's current branch. --branch B only checks that B is the \
            current branch and exits 65 when it is not: switch first with \
            `agentledger branch switch SESSION B`.

            Prints the sequence number of the event that recorded the items (nothing when the \
            input holds no item); with --json, {"sequence":N,"items":K}, and \
            {"sequence":null,"items":0} when the input holds no item (nothing was written).
            """
    )

    @OptionGroup var store: StoreOptions

    @Argument(help: "The session id.")
    var session: String

    @Option(
        name: .long,
        help: ArgumentHelp("Read the items from this file instead of standard input.", valueName: "file")
    )
    var file: String?

    @Option(name: .long, help: ArgumentHelp("Require this to be the current branch.", valueName: "branch"))
    var branch: String?

    @Flag(name: .long, help: "Print {\"sequence\":N,\"items\":K} (N is null when there is no item).")
    var json = false

    mutating func validate() throws {
        try ArgumentChecks.session(session)
    }

    func run() async throws {
        let input = try InputFile.read(file)
        let items = try ItemInput.parse(input, maxItemBytes: store.ledgerOptions().maxItemBytes)
        let sequence = try await store.withLedger(.write) { ledger in
            let session = ledger.session(session)
            if let branch {
                // A branch that does not exist cannot be switched to: say that, not "switch first".
                try await session.requireBranch(branch)
                let current = try await session.currentBranch()
                guard current.utf8.elementsEqual(branch.utf8) else {
                    throw CLIFailure.data(
                        "session '\(self.session)' is on branch '\(current)', not '\(branch)'; nothing was added. "
                            + "Switch first: agentledger branch switch \(self.session) \(branch)"
                    )
                }
            }
            return try await session.append(items)
        }
        var output = OutputBuffer()
        if json {
            var object = JSONText()
            object.number("sequence", sequence)
            object.number("items", items.count)
            output.line(object.object)
        } else if let sequence {
            output.line("\(sequence)")
        }
        guard let sequence else {
            try output.flush()
            return
        }
        try output.flush(afterWriting: "added \(counted(items.count, "item")) at sequence \(sequence)")
    }
}
