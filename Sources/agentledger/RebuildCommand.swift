import AgentLedger
import ArgumentParser
import Foundation
import Glibc

/// `agentledger rebuild`: replays the log into a new read model and swaps it in atomically.
struct RebuildCommand: AsyncParsableCommand, StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild",
        abstract: "Rebuild the read model (views.sqlite) from the log, swapping it in atomically.",
        discussion: """
            Readers keep seeing the old read model until the new one is complete; writes wait. \
            Shows a progress bar on a terminal (events/s, percent, ETA) and plain lines otherwise.
            """
    )

    @OptionGroup var store: StoreOptions

    func run() async throws {
        let interactive = isatty(STDERR_FILENO) != 0
        let started = ContinuousClock.now
        let reporter = ProgressReporter(interactive: interactive, started: started)
        try await store.withLedger(.write) { ledger in
            try await ledger.rebuildViews { progress in reporter.report(progress) }
        }
        reporter.finish()
    }
}
