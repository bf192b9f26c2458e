import AgentLedger
import ArgumentParser
import Dispatch
import Foundation

/// `agentledger log [--session S] [--branch B] [--kind K]... [--from-seq A] [--to-seq B]
/// [--since T] [--until T] [--json] [--follow]`: the audit trail.
struct LogCommand: AsyncParsableCommand, StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Print the events of the log, oldest first: the audit trail.",
        discussion: """
            One line per event: SEQ TIME SESSION BRANCH KIND and a summary (item count and a \
            preview of the first item for items_added, the popped item, the source of a branch, \
            the usage recorded, ...). With --json, JSON Lines: {"seq","time","session","branch",\
            "kind", and the kind's fields}: "items" (items_added, verbatim), "item", "item_seq", \
            "item_index" (item_popped), "source_branch", "from_turn" (branch_created), \
            "previous_branch" (branch_switched), "switched_to_main" (branch_deleted), "turn", \
            "usage" (usage_recorded). Popped and cleared items stay visible here.

            Kinds: items_added, item_popped, session_cleared, branch_created, branch_switched, \
            branch_deleted, usage_recorded.

            --follow keeps printing new events as other processes write them (it reads the log \
            every 200 ms, read-only) until interrupted, until --to-seq is reached, until nobody \
            reads its output (a closed pipe, as after `| head -1`), or, with --until, once the \
            store holds an event after it (event times never go back).
            """
    )

    /// How long `--follow` waits between two reads of the log.
    static let followIntervalMilliseconds = 200

    @OptionGroup var store: StoreOptions

    @Option(name: .long, help: ArgumentHelp("Only this session's events.", valueName: "session"))
    var session: String?

    @Option(name: .long, help: ArgumentHelp("Only events about this branch.", valueName: "branch"))
    var branch: String?

    @Option(name: .long, help: ArgumentHelp("Only events of this kind (repeatable).", valueName: "kind"))
    var kind: [String] = []

    @Option(
        name: .long,
        parsing: .unconditional,
        help: ArgumentHelp("Only events from this sequence number on.", valueName: "n")
    )
    var fromSeq: UInt64?

    @Option(
        name: .long,
        parsing: .unconditional,
        help: ArgumentHelp("Only events up to this sequence number.", valueName: "n")
    )
    var toSeq: UInt64?

    @Option(name: .long, help: ArgumentHelp("Only events at or after this time (ISO 8601).", valueName: "time"))
    var since: String?

    @Option(name: .long, help: ArgumentHelp("Only events at or before this time (ISO 8601).", valueName: "time"))
    var until: String?

    @Flag(name: .long, help: "Print JSON Lines.")
    var json = false

    @Flag(name: .long, help: "Keep printing new events until interrupted.")
    var follow = false

    mutating func validate() throws {
        if let session {
            try ArgumentChecks.session(session)
        }
        for name in kind where EventKind(name: name) == nil {
            let names = EventKind.allCases.map(\.name).joined(separator: ", ")
            throw ValidationError("unknown event kind '\(name)'; the kinds are \(names)")
        }
        for (option, value) in [("--since", since), ("--until", until)] {
            if let value, Timestamp.parse(value) == nil {
                throw ValidationError("\(option) '\(value)' is not an ISO 8601 time such as 2026-11-26T23:40:01Z")
            }
        }
        if let fromSeq, let toSeq, fromSeq > toSeq {
            throw ValidationError("--from-seq \(fromSeq) is after --to-seq \(toSeq)")
        }
        if let since, let until, let first = Timestamp.parse(since), let last = Timestamp.parse(until), first > last {
            throw ValidationError("--since \(since) is after --until \(until)")
        }
    }

    /// The library filter for the options given.
    var filter: EventFilter {
        EventFilter(
            sessionID: session,
            branch: branch,
            kinds: kind.isEmpty ? nil : Set(kind.compactMap { EventKind(name: $0) }),
            fromSequence: fromSeq,
            toSequence: toSeq,
            since: since.flatMap(Timestamp.parse).map { Timestamp.date(micros: $0) },
            until: until.flatMap(Timestamp.parse).map { Timestamp.date(micros: $0) }
        )
    }

    func run() async throws {
        let filter = filter
        let json = json
        // Read-only: a writing open would keep writers out while the output is read, which a
        // pager or a paused pipe can make last.
        let last = try await store.withLedger(.readOnly) { ledger in
            let head = try await Self.committedHead(ledger)
            var upToHead = filter
            upToHead.toSequence = min(filter.toSequence ?? head, head)
            try await Self.write(ledger.events(upToHead), json: json)
            return head
        }
        guard follow else {
            return
        }
        try await store.withLedger(.readOnly) { ledger in
            // Stop cleanly (exit 0) on SIGINT or SIGTERM.
            do {
                try await Interruption.cancellingOnSignals {
                    try await Self.follow(
                        ledger,
                        filter: filter,
                        until: until.flatMap(Timestamp.parse),
                        after: last,
                        json: json
                    )
                }
            } catch is CancellationError {
                // Interrupted: everything read so far was printed.
            } catch let error as LedgerError where error.code == .cancelled {
                // Interrupted during a query of the read model: the same.
            }
        }
    }

    /// Prints the events of the log after sequence `last` that pass `filter`, as they appear,
    /// until cancelled, past the filter's `toSequence`, or once an event is later than `until`
    /// (microseconds): the writer never stamps an event earlier than the one before it, so no
    /// event after that one can pass.
    private static func follow(
        _ ledger: Ledger,
        filter: EventFilter,
        until: Int64?,
        after last: UInt64,
        json: Bool
    ) async throws {
        var last = last
        // Read again only when `last` moves, not at every poll.
        var past = try await isPast(until, at: last, in: ledger)
        while !past, filter.toSequence.map({ last < $0 }) ?? true {
            try await Task.sleep(for: .milliseconds(followIntervalMilliseconds))
            try OutputBuffer.endIfReaderGone()
            let head = try await committedHead(ledger)
            guard head > last else {
                continue
            }
            var next = filter
            next.fromSequence = max(filter.fromSequence ?? 0, last + 1)
            next.toSequence = min(filter.toSequence ?? head, head)
            try await write(ledger.events(next), json: json)
            last = head
            past = try await isPast(until, at: last, in: ledger)
        }
    }

    /// Whether the event at `sequence` (none for 0) is later than `until`.
    private static func isPast(_ until: Int64?, at sequence: UInt64, in ledger: Ledger) async throws -> Bool {
        guard let until, sequence > 0 else {
            return false
        }
        for try await event in try ledger.events(EventFilter(fromSequence: sequence, toSequence: sequence)) {
            return event.timestampMicros > until
        }
        return false
    }

    /// The last event to print: the end of what is history (``Ledger/eventsEnd()``). Beside a
    /// live writer a frame past what it acknowledged may be one it is about to cut again (a
    /// write that failed), whose sequence numbers its next write takes: it must never be printed
    /// as history, nor make the events that then take its numbers be skipped.
    private static func committedHead(_ ledger: Ledger) async throws -> UInt64 {
        try await ledger.eventsEnd()
    }

    /// Prints `events`, flushing standard output every 256 events, whenever a megabyte is
    /// buffered (``OutputBuffer/flushBytes``), and at the end.
    private static func write(_ events: LedgerEvents, json: Bool) async throws {
        var output = OutputBuffer()
        var pending = 0
        do {
            for try await event in events {
                output.line(json ? EventFormatter.json(event) : EventFormatter.line(event))
                pending += 1
                if pending == 256 || output.isFull {
                    try output.flush()
                    pending = 0
                }
            }
        } catch {
            // Interrupted (`--follow`) between two frames, or a damaged frame: every event read
            // before it is printed, then the error (an audit of a damaged log gets what is intact).
            try output.flush()
            throw error
        }
        try output.flush()
    }
}
