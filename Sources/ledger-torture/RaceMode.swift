import AgentLedger
import Foundation

/// `race`: one of two writers started together. Waits until `--start-at` (milliseconds since
/// 1970), opens the store for writing, and on success prints `won <pid>`, appends one item, holds
/// the store `--hold-ms` and exits 0. The loser prints `locked <message>` and exits 75 (through
/// ``TortureCommand``): the message names the winner's pid.
struct RaceMode {
    let store: String
    let startAt: Int64
    let holdMilliseconds: Int

    init(_ arguments: TortureArguments) throws {
        store = try arguments.string("store")
        startAt = Int64(try arguments.int("start-at", default: 0))
        holdMilliseconds = try arguments.int("hold-ms", default: 1500)
    }

    func run() async throws -> Int32 {
        let wait = startAt - TortureCommand.nowMilliseconds()
        if wait > 0 {
            usleep(useconds_t(wait * 1000))
        }
        let ledger = try await Ledger.open(at: store, options: TortureCommand.options())
        TortureOutput.line("won \(getpid())")
        try await ledger.session("race").addItems([TortureCommand.item("won by pid \(getpid())")])
        try await Task.sleep(for: .milliseconds(holdMilliseconds))
        try await ledger.close()
        TortureOutput.line("done")
        return 0
    }
}
