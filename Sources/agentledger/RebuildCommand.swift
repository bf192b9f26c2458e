import AgentLedger
import ArgumentParser
import Foundation

/// `agentledger rebuild`: replays the log into a new read model and swaps it in atomically.
struct RebuildCommand: AsyncParsableCommand, StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild",
        abstract: "Rebuild the read model (views.sqlite) from the log, swapping it in atomically.",
        discussion: """
            When no other process has the store's read model open, the new one is built in a new \
            file and renamed into place; otherwise it is copied into the live file, and those \
            readers keep seeing the old one until the new one is complete. Writes wait. \
            Shows a progress bar on a terminal (events/s, percent, ETA) and plain lines otherwise.
            """
    )

    @OptionGroup var store: StoreOptions

    func run() async throws {
        // Before the open, which would create an empty log/ under a read model whose log is gone.
        try StoreOptions.requireLog(in: store.directory, reading: true)
        let reporter = ProgressReporter("rebuild")
        try await reporter.finishing {
            let ledger = try await store.openWaitingForLock { directory, options in
                try await Ledger.openRebuildingViews(at: directory, options: options) { progress in
                    reporter.report(progress)
                }
            }
            try await ledger.close()
        }
    }
}
