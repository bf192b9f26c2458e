import AgentLedger
import ArgumentParser
import Synchronization

/// `agentledger import`: replays exported events into this store.
struct ImportCommand: AsyncParsableCommand, StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Replay events exported by `agentledger export` (JSON Lines) into this store.",
        discussion: """
            Each event is replayed as the command that produced it (add, pop, clear, branch, usage), \
            so sequence numbers and times are this store's and item JSON stays verbatim. Every line \
            is parsed and checked before anything is written (its JSON, names, and items against \
            --max-item-bytes): a bad line exits 65 naming it. A \
            command this store refuses when it is replayed (a branch name it already used, say) is \
            reported with its line and skipped, the lines after it are still written, and the exit \
            status is then 65. A session of the input that already exists in this store refuses \
            the import (exit 65, nothing written) unless --append: importing the same export twice \
            would double it. An import that takes more than a second shows its progress on \
            standard error, as rebuild does.
            """
    )

    @OptionGroup var store: StoreOptions

    @Option(help: "Read from this file instead of standard input.")
    var file: String?

    @Flag(help: "Replay the events into sessions that already exist in this store, after what they hold.")
    var append = false

    func run() async throws {
        var events: [LedgerEvent] = []
        var lineNumbers: [Int] = []
        let options = store.ledgerOptions()
        try InputLines.forEach(file) { line, lineNumber throws(CLIFailure) in
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) {
                return
            }
            let event: LedgerEvent
            do {
                event = try LedgerEvent(exportLine: line, lineNumber: lineNumber)
            } catch let error as LedgerError {
                throw CLIFailure.data(error.message)
            } catch {
                throw CLIFailure.data("line \(lineNumber): \(error)")
            }
            // What this store refuses whatever it holds (an item over --max-item-bytes) refuses
            // the whole import here, naming its line, rather than being skipped halfway through.
            if let refusal = Ledger.importRefusal(of: event, options: options) {
                throw CLIFailure.data("line \(lineNumber): " + refusal.message)
            }
            events.append(event)
            lineNumbers.append(lineNumber)
        }
        let parsed = events
        let reporter = ProgressReporter("import", quietFor: .seconds(1))
        // Nil until a group commit of the import is acknowledged.
        let eventsDone = Mutex<Int?>(nil)
        // The log's last sequence number once the import's last acknowledged group commit is in.
        let acknowledgedEnd = Mutex<UInt64?>(nil)
        let summary: ImportSummary
        do {
            summary = try await reporter.finishing {
                try await store.withLedger(.write) { ledger in
                    let end = try await ledger.eventsEnd()
                    acknowledgedEnd.withLock { $0 = end }
                    // Ctrl-C stops between two group commits, saying what was written.
                    return try await Interruption.cancellingOnSignals {
                        try await ledger.importEvents(parsed, appending: append) { progress in
                            reporter.report(progress)
                            eventsDone.withLock { $0 = progress.eventsDone ?? 0 }
                            if let last = progress.lastSequence {
                                acknowledgedEnd.withLock { $0 = last }
                            }
                        }
                    }
                }
            }
        } catch let error as LedgerError where error.code == .conflict {
            throw CLIFailure.data(error.message + " (--append)")
        } catch let error as LedgerError where error.code == .cancelled {
            // Stopped between two group commits: the events before the next one's are whole.
            let done = eventsDone.withLock { $0 } ?? 0
            guard done > 0, done < lineNumbers.count else {
                throw error
            }
            throw CLIFailure(ExitCodes.interrupted, error.message + ". " + finishHint(fromLine: lineNumbers[done]))
        } catch let error as LedgerError {
            // A group commit failed after others were acknowledged (every check an import makes
            // before writing had passed): the store, closed by now, tells whether it holds any
            // of it.
            guard let done = eventsDone.withLock({ $0 }), let acknowledged = acknowledgedEnd.withLock({ $0 }),
                done < lineNumbers.count, let end = await storedEnd()
            else {
                throw error
            }
            let note = failedGroupNote(end: end, acknowledged: acknowledged, resumingAt: lineNumbers[done])
            throw CLIFailure(ExitCodes.code(for: error), error.message + ". " + note)
        }
        var output = OutputBuffer()
        let imported =
            "imported \(counted(summary.eventsWritten, "event")) (\(counted(summary.items, "item")), "
            + "\(counted(summary.sessions, "session")))"
        output.line(imported)
        let refusedEvents = summary.refusedEventIndexes
        let byLine = refusedEvents.count == summary.refused.count
        for (position, refusal) in summary.refused.enumerated() {
            // One line per refused event: a later command of the same event (the add after its
            // refused switch to a branch) was refused because of the first.
            if byLine, position > 0, refusedEvents[position - 1] == refusedEvents[position] {
                continue
            }
            let place = byLine ? "line \(lineNumbers[refusedEvents[position]]): " : ""
            output.line("refused: " + place + OutputBuffer.shown(refusal))
        }
        let refused = summary.refused.isEmpty ? "" : ", \(counted(summary.refused.count, "command")) refused"
        try output.flush(afterWriting: imported + refused)
        if !summary.refused.isEmpty {
            throw ExitCode(ExitCodes.dataError)
        }
    }

    /// The last sequence number of the store's log, read without writing; nil when the store
    /// cannot be read.
    private func storedEnd() async -> UInt64? {
        try? await store.withLedger(.readOnly) { try await $0.eventsEnd() }
    }

    /// Whether the store holds the group commit that failed, from where its log ends (`end`)
    /// against where it ended after the import's last acknowledged group commit; when it does
    /// not, how to finish the import from input line `line`.
    private func failedGroupNote(end: UInt64, acknowledged: UInt64, resumingAt line: Int) -> String {
        guard end == acknowledged else {
            return end > acknowledged
                ? "It is: the store's log ends at sequence \(end), after the import's last acknowledged event "
                    + "(\(acknowledged)); `agentledger log --from-seq \(acknowledged + 1)` shows what it holds"
                : "The store's log ends at sequence \(end), before the import's last acknowledged event "
                    + "(\(acknowledged)): run `agentledger verify`"
        }
        return "It is not: the store's log ends at sequence \(end), the import's last acknowledged event. "
            + finishHint(fromLine: line, lead: "To finish it once the cause is fixed")
    }

    /// How to finish an import stopped before the event on input line `line`: the same input from
    /// that line on, appending; the sentence starts with `lead`.
    private func finishHint(fromLine line: Int, lead: String = "To finish it") -> String {
        let rest = file.map { "tail -n +\(line) \(ShellWord.quoted($0)) | " } ?? ""
        let command = rest + "agentledger import --append --store \(ShellWord.quoted(store.directory))"
        return file == nil
            ? "\(lead), give the input's lines from line \(line) on to: \(command)"
            : "\(lead): \(command)"
    }
}
