import AgentLedger
import Foundation

/// `race`: one of two writers started together. Waits until `--start-at` (milliseconds since
/// 1970), opens the store for writing, and on success prints `won <pid>`, appends one item, holds
/// the store until the file `--hold-until-file PATH` exists (at most 120 s), and exits 0. The
/// loser prints `locked <message>` and exits 75 (through ``TortureCommand``): the message names
/// the winner's pid.
///
/// Not a hold of a fixed time: that makes a second winner of a loser that a busy machine starts
/// later than the hold lasts; a test that creates the file only once the loser has ended does
/// not depend on when either child runs.
struct RaceMode {
    let store: String
    let startAt: Int64
    let releaseFile: String

    init(_ arguments: TortureArguments) throws {
        store = try arguments.string("store")
        startAt = Int64(try arguments.int("start-at", default: 0))
        releaseFile = try arguments.string("hold-until-file")
    }

    func run() async throws -> Int32 {
        let wait = startAt - TortureCommand.nowMilliseconds()
        if wait > 0 {
            usleep(useconds_t(wait * 1000))
        }
        let ledger = try await Ledger.open(at: store, options: TortureCommand.options())
        TortureOutput.line("won \(getpid())")
        try await ledger.session("race").addItems([TortureCommand.item("won by pid \(getpid())")])
        let latest = ContinuousClock.now + .seconds(120)
        while !FileManager.default.fileExists(atPath: releaseFile), ContinuousClock.now < latest {
            try await Task.sleep(for: .milliseconds(5))
        }
        try await ledger.close()
        TortureOutput.line("done")
        return 0
    }
}
