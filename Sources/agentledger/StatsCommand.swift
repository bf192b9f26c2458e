import AgentLedger
import ArgumentParser

/// `agentledger stats [--json]`: figures about the store.
struct StatsCommand: AsyncParsableCommand, StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Print figures about the store: events, sessions, items and bytes on disk.",
        discussion: """
            With --json: {"head_seq","sessions","live_items","item_rows","segments","log_bytes","log_reserved_bytes","view_bytes"}.
            """
    )

    @OptionGroup var store: StoreOptions

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func run() async throws {
        let stats = try await store.withLedger(.read) { ledger in
            try await ledger.stats()
        }
        let figures: [(key: String, label: String, value: String)] = [
            ("head_seq", "head sequence", "\(stats.headSequence)"),
            ("sessions", "sessions", "\(stats.sessionCount)"),
            ("live_items", "live items", "\(stats.liveItemCount)"),
            ("item_rows", "item rows", "\(stats.totalItemRows)"),
            ("segments", "segments", "\(stats.segmentCount)"),
            ("log_bytes", "log bytes", "\(stats.logBytes)"),
            ("log_reserved_bytes", "log reserved", "\(stats.logReservedBytes)"),
            ("view_bytes", "view bytes", "\(stats.readModelBytes)"),
        ]
        var output = OutputBuffer()
        if json {
            var object = JSONText()
            for figure in figures {
                object.raw(figure.key, figure.value)
            }
            output.line(object.object)
        } else {
            let width = figures.map(\.label.count).max() ?? 0
            for figure in figures {
                output.line(figure.label + String(repeating: " ", count: width - figure.label.count + 2) + figure.value)
            }
        }
        try output.flush()
    }
}
