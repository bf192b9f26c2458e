import AgentLedger
import Foundation

/// `read`: a reader in another process while a writer appends batches (see ``BatchWriterMode``).
/// Opens the store read-only and, for `--duration-ms` and then until it has seen
/// `--min-distinct` different item counts and a count of `--min-largest`, and until the file
/// `--until-file` exists (at most 120 s in all), reads `--session` again and again, so that a
/// slow machine reads for longer instead of seeing less. A
/// partial batch is a violation: the item count must be a multiple of `--batch`, and item `j`
/// must be item `j % batch` of batch `j / batch`. Every tenth read, and once at the end, it also
/// reads the new events of the log: each must add exactly one whole batch.
///
/// Prints `reads n=<reads> distinct=<distinct counts seen> max=<largest count> events=<events read>
/// violations=<n>` (and `violation <what>` for the first few); exits 1 when there was a violation.
struct ReaderMode {
    let store: String
    let session: String
    let batch: Int
    let durationMilliseconds: Int
    let minimumDistinctCounts: Int
    let minimumLargestCount: Int
    let stopFile: String?

    init(_ arguments: TortureArguments) throws {
        store = try arguments.string("store")
        session = try arguments.string("session")
        batch = max(1, try arguments.int("batch", default: 5))
        durationMilliseconds = try arguments.int("duration-ms", default: 1000)
        minimumDistinctCounts = try arguments.int("min-distinct", default: 0)
        minimumLargestCount = try arguments.int("min-largest", default: 0)
        stopFile = try? arguments.string("until-file")
    }

    func run() async throws -> Int32 {
        let ledger = try await Ledger.open(at: store, options: TortureCommand.options(readOnly: true))
        TortureOutput.line("open \(getpid())")
        let handle = ledger.session(session)
        let start = ContinuousClock.now
        let end = start + .milliseconds(durationMilliseconds)
        let latest = start + .seconds(120)
        var reads = 0
        var counts = Set<Int>()
        var largest = 0
        var violations = 0
        var eventsRead = 0
        var nextSequence: UInt64 = 1
        func violation(_ text: String) {
            violations += 1
            if violations <= 5 {
                TortureOutput.line("violation \(text)")
            }
        }
        func readEvents() async throws {
            for try await event in try ledger.events(EventFilter(sessionID: session, fromSequence: nextSequence)) {
                eventsRead += 1
                nextSequence = event.sequence + 1
                if case .itemsAdded(let added) = event.payload, added.count != batch {
                    violation("event \(event.sequence) adds \(added.count) items, not \(batch)")
                }
            }
        }
        func waitsForMore() -> Bool {
            let waited = counts.count < minimumDistinctCounts || largest < minimumLargestCount
            let told = stopFile.map { !FileManager.default.fileExists(atPath: $0) } ?? false
            return (waited || told) && ContinuousClock.now < latest
        }
        while ContinuousClock.now < end || waitsForMore() {
            let items = try await handle.items()
            reads += 1
            counts.insert(items.count)
            if items.count < largest {
                violation("the item count went down from \(largest) to \(items.count)")
            }
            largest = max(largest, items.count)
            if items.count % batch != 0 {
                violation("saw \(items.count) items, not a multiple of the batch size \(batch)")
            }
            for (position, item) in items.enumerated() {
                let expected = "b=\(position / batch) i=\(position % batch)/\(batch)"
                if !item.json.contains(#""content":""# + expected + #"""#) {
                    violation("item \(position) is \(item.json), expected content \(expected)")
                    break
                }
            }
            if reads % 10 == 0 {
                try await readEvents()
            }
        }
        // Once more at the end, so that a slow machine (fewer than ten reads) still checks them.
        try await readEvents()
        try await ledger.close()
        TortureOutput.line(
            "reads n=\(reads) distinct=\(counts.count) max=\(largest) events=\(eventsRead) violations=\(violations)"
        )
        return violations == 0 ? 0 : TortureCommand.checkFailedExitCode
    }
}
