import AgentLedger
import ArgumentParser

/// `agentledger usage record SESSION --requests N --input-tokens N --output-tokens N --total-tokens N [--details JSON]`.
struct UsageRecordCommand: AsyncParsableCommand, StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record the usage of a run for the current turn of the current branch.",
        discussion: """
            The last record of a turn wins. Prints the sequence number of the event. A session \
            whose current branch has no user turn yet exits 65 and records nothing. Each count \
            must be at most 10^12 (1000000000000, the library's RunUsage.maxFieldValue, which keeps \
            the sums of `usage show` far from overflow): a larger one exits 65 and records nothing.
            """
    )

    @OptionGroup var store: StoreOptions

    @Argument(help: "The session id.")
    var session: String

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Model requests.", valueName: "n"))
    var requests: Int

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Input tokens.", valueName: "n"))
    var inputTokens: Int

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Output tokens.", valueName: "n"))
    var outputTokens: Int

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Total tokens.", valueName: "n"))
    var totalTokens: Int

    @Option(name: .long, help: ArgumentHelp("Opaque JSON details, kept verbatim.", valueName: "json"))
    var details: String?

    mutating func validate() throws {
        try ArgumentChecks.session(session)
        try ArgumentChecks.notNegative(requests, "--requests")
        try ArgumentChecks.notNegative(inputTokens, "--input-tokens")
        try ArgumentChecks.notNegative(outputTokens, "--output-tokens")
        try ArgumentChecks.notNegative(totalTokens, "--total-tokens")
    }

    func run() async throws {
        let usage = RunUsage(
            requests: requests,
            inputTokens: inputTokens,
            outputTokens: outputTokens,
            totalTokens: totalTokens,
            detailsJSON: details
        )
        let sequence = try await store.withLedger(.write) { ledger in
            let session = ledger.session(session)
            guard let sequence = try await session.recordUsage(usage) else {
                let branch = try await session.currentBranch()
                throw CLIFailure.data(
                    "session '\(self.session)' has no user turn on its current branch '\(branch)' yet; "
                        + "usage is recorded for the current turn: add a user item first"
                )
            }
            return sequence
        }
        var output = OutputBuffer()
        output.line("\(sequence)")
        try output.flush(afterWriting: "recorded the usage at sequence \(sequence)")
    }
}
