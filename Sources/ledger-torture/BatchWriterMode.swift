import AgentLedger
import Foundation

/// `batches`: the writer that readers in other processes watch. Appends batches of `--batch`
/// items to `--session` for `--duration-ms`, or, with `--until-file PATH`, until that file
/// exists (at most 120 s), one call per batch; item `i` of batch `b` has the content
/// `b=<b> i=<i>/<batch>`. Prints `open <pid>`, then `done batches=<n>`.
struct BatchWriterMode {
    let store: String
    let session: String
    let batch: Int
    let durationMilliseconds: Int
    let stopFile: String?

    init(_ arguments: TortureArguments) throws {
        store = try arguments.string("store")
        session = try arguments.string("session")
        batch = max(1, try arguments.int("batch", default: 5))
        durationMilliseconds = try arguments.int("duration-ms", default: 1000)
        stopFile = try? arguments.string("until-file")
    }

    /// Whether to write another batch.
    private func goesOn(until end: ContinuousClock.Instant) -> Bool {
        guard let stopFile else {
            return ContinuousClock.now < end
        }
        return !FileManager.default.fileExists(atPath: stopFile) && ContinuousClock.now < end
    }

    func run() async throws -> Int32 {
        let ledger = try await Ledger.open(at: store, options: TortureCommand.options())
        TortureOutput.line("open \(getpid())")
        let handle = ledger.session(session)
        let existing = try await handle.items().count
        var number = existing / batch
        let end = ContinuousClock.now + (stopFile == nil ? .milliseconds(durationMilliseconds) : .seconds(120))
        var written = 0
        while goesOn(until: end) {
            let items = (0..<batch).map { index in TortureCommand.item("b=\(number) i=\(index)/\(batch)") }
            try await handle.addItems(items)
            number += 1
            written += 1
        }
        try await ledger.close()
        TortureOutput.line("done batches=\(written)")
        return 0
    }
}
