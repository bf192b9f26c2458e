import AgentLedger
import ArgumentParser

/// `agentledger usage show SESSION [--turn N] [--branch B] [--json] [--as-of-seq N | --as-of-time T]`.
struct UsageShowCommand: AsyncParsableCommand, StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show the usage recorded per turn, and the totals.",
        discussion: """
            Lists the usage of every turn of a branch (default: the current one), or of turn N, \
            then the totals: across every branch, or of --branch B when given. With --json: \
            {"turns":[{"branch","turn","requests","input_tokens","output_tokens","total_tokens",\
            "details","time","seq"}],"totals":{"requests","input_tokens","output_tokens",\
            "total_tokens","turns"} or null when nothing was recorded}; "details" is the JSON given \
            when recording, verbatim, or null. An unknown branch, or a --turn the branch does not have \
            (at the --as-of position when given), exits 65; a --turn below 1 exits 64.
            """
    )

    @OptionGroup var store: StoreOptions

    @OptionGroup var target: BranchReadOptions

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Only this turn.", valueName: "n"))
    var turn: Int?

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func validate() throws {
        // Turns are numbered from 1; a negative one was answered with an empty list, exit 0.
        try ArgumentChecks.turn(turn, "--turn")
    }

    func run() async throws {
        let (turns, totals) = try await target.read(store) { session in
            let turns = try await session.turnUsage(turn, branch: target.branch, asOf: target.asOf)
            if let turn, turns.isEmpty {
                // No usage: a turn without any, or no such turn (an empty table, exit 0, before).
                try await session.requireTurn(turn, branch: target.branch, asOf: target.asOf)
            }
            let totals = try await session.sessionUsage(branch: target.branch, asOf: target.asOf)
            return (turns, totals)
        }
        var output = OutputBuffer()
        if json {
            var object = JSONText()
            object.raw("turns", JSONText.array(turns.map(Self.json)))
            object.raw("totals", totals.map(Self.json) ?? "null")
            output.line(object.object)
        } else {
            var table = TextTable(["BRANCH", "TURN", "REQUESTS", "INPUT", "OUTPUT", "TOTAL", "RECORDED"])
            for entry in turns {
                let usage = entry.usage
                table.add([
                    entry.branch, "\(entry.turn)", "\(usage.requests)", "\(usage.inputTokens)",
                    "\(usage.outputTokens)", "\(usage.totalTokens)", Timestamp.format(entry.recordedAt),
                ])
            }
            for line in table.lines {
                output.line(line)
            }
            let scope = target.branch.map { "branch \(TextTable.display($0))" } ?? "all branches"
            if let totals {
                output.line(
                    "total (\(scope)): \(counted(totals.requests, "request")), \(totals.inputTokens) input, "
                        + "\(totals.outputTokens) output, \(totals.totalTokens) total tokens in "
                        + counted(totals.turnCount, "turn")
                )
            } else {
                output.line("total (\(scope)): no usage recorded")
            }
        }
        try output.flush()
    }

    private static func json(_ entry: TurnUsage) -> String {
        var object = JSONText()
        object.string("branch", entry.branch)
        object.number("turn", entry.turn)
        object.number("requests", entry.usage.requests)
        object.number("input_tokens", entry.usage.inputTokens)
        object.number("output_tokens", entry.usage.outputTokens)
        object.number("total_tokens", entry.usage.totalTokens)
        object.raw("details", entry.usage.detailsJSON ?? "null")
        object.string("time", Timestamp.format(entry.recordedAt))
        object.number("seq", entry.sequence)
        return object.object
    }

    private static func json(_ totals: UsageTotals) -> String {
        var object = JSONText()
        object.number("requests", totals.requests)
        object.number("input_tokens", totals.inputTokens)
        object.number("output_tokens", totals.outputTokens)
        object.number("total_tokens", totals.totalTokens)
        object.number("turns", totals.turnCount)
        return object.object
    }
}
