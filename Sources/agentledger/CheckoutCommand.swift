import AgentLedger
import ArgumentParser

/// `agentledger checkout --as-of-seq N --into DIR`: an independent store holding the log up to N.
struct CheckoutCommand: AsyncParsableCommand, StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkout",
        abstract: "Copy the log up to a sequence number into a new, independent store.",
        discussion: """
            For reproducing exactly what an agent saw at that moment; the read model is rebuilt. \
            The copy is built in a hidden directory, next to DIR when DIR does not exist and inside \
            it when it does (an empty directory, one of other files, or a mount point), and moved \
            into place once complete: an interrupted checkout leaves no store at DIR, and the next \
            checkout into DIR removes what it left.
            """
    )

    @OptionGroup var store: StoreOptions

    @Option(parsing: .unconditional, help: ArgumentHelp("The last sequence number to copy.", valueName: "n"))
    var asOfSeq: UInt64

    @Option(
        help: ArgumentHelp(
            "The new store's directory: missing, empty, or holding no store; not inside the source store.",
            valueName: "dir"
        )
    )
    var into: String

    func validate() throws {
        // `--into "$DIR"` with DIR unset: a usage error (64), as an empty --store is.
        if into.isEmpty {
            throw ValidationError("--into is empty: give the new store's directory")
        }
    }

    func run() async throws {
        // No store at the source is 66 (a read model without its log 74), as for every reading
        // command; the library's own refusal is `notFound`, which would exit 65.
        try StoreOptions.requireLog(in: store.directory, reading: true)
        let last = try await Ledger.checkout(from: store.directory, through: asOfSeq, into: into)
        if last < asOfSeq {
            // The log (or its intact part, before damage) ends first: the copy holds all of it,
            // which is the state as of N too, but not the N events that were asked for.
            OutputBuffer.printError(
                "note: the log ends at sequence \(last), before \(asOfSeq): the copy holds its \(counted(last, "event"))"
            )
        }
        var output = OutputBuffer()
        let done = "checked out \(counted(last, "event")) into \(into)"
        output.line(done)
        try output.flush(afterWriting: done)
    }
}
