import Foundation
import GRDB

extension Ledger {
    /// The most commands sent to the writer as one group commit during an import.
    static let importCommandsPerCommit = 1000

    /// Replays events exported from a store (`agentledger export`) into this one, as the
    /// commands that produced them: adds, pops, clears, branch changes and usage, session by
    /// session in log order. Sequence numbers and times are this store's; item JSON is kept
    /// verbatim. Into empty sessions this reproduces the source sessions exactly. A command
    /// this store refuses (a branch name it already used, say) is reported in the summary with
    /// its event, and the ones after it are still written, except that adds, pops and usage
    /// records are written only on the branch their event names, and a branch is created only
    /// from the branch and turn its event names: after a refused branch change they are refused
    /// too, never put on another branch. Events out of log order (a sequence
    /// number not above the one before) refuse the whole import. A pop that would pop another
    /// item than the exported one, or usage that would land on another turn (a session that was
    /// not empty before), is refused and reported too.
    ///
    /// The import is not one transaction: cancelling the caller's task stops it between two
    /// group commits with `cancelled`, whose message says how many events were written (or,
    /// cancelled before the first, that nothing was).
    ///
    /// - Parameters:
    ///   - appending: replay the events into sessions that already exist in this store, after
    ///     what they hold. Without it such a session refuses the import with `conflict` before
    ///     anything is written, so that importing the same export twice cannot double every
    ///     conversation.
    ///   - progress: called after each group commit of the import, from the caller's task.
    public func importEvents(
        _ events: [LedgerEvent],
        appending: Bool = false,
        progress: (@Sendable (ImportProgress) -> Void)? = nil
    ) async throws -> ImportSummary {
        try checkOpen()
        // Replayed in the order given, which must be the log's: a reordered or repeated event
        // would write another history. (A sequence number of 0 stands for "not given".)
        var previous: (index: Int, sequence: UInt64)?
        for (index, event) in events.enumerated() where event.sequence > 0 {
            if let previous, event.sequence <= previous.sequence {
                throw LedgerError(
                    .invalidArgument,
                    "event \(index + 1) has sequence number \(event.sequence), not after event \(previous.index + 1)'s "
                        + "\(previous.sequence): events must be in log order, as export writes them; nothing was imported"
                )
            }
            previous = (index, event.sequence)
        }
        for (index, event) in events.enumerated() {
            if let refusal = Self.importRefusal(of: event, options: options) {
                throw LedgerError(refusal.code, "event \(index + 1): " + refusal.message)
            }
        }
        if !appending {
            try await Self.beforeImporting { try await checkNoneExists(events) }
        }
        var current: [[UInt8]: String] = [:]  // by the id's bytes, as the store compares them
        // The branches the events create, by session and name bytes: their events go only to the
        // branch this import creates, never to one of that name the store had before (whose name
        // makes the creation refused).
        let importedAfter = try await Self.beforeImporting { try await self.headSequence() }
        var created = Set<[[UInt8]]>()
        func after(_ session: String, _ branch: String) -> UInt64? {
            // Asked for every event: no key built until the import has created a branch.
            guard !created.isEmpty else {
                return nil
            }
            return created.contains([Array(session.utf8), Array(branch.utf8)]) ? importedAfter : nil
        }
        // A switch to such a branch is checked too, so that the session is not left on the
        // store's own branch of that name (and so is a deletion, below).
        func switching(_ session: String, to branch: String) -> WriteCommand {
            let command = WriteCommand.switchBranch(session: session, name: branch)
            guard let after = after(session, branch) else {
                return command
            }
            return .onImportedBranch(command, after: after)
        }
        var commands: [WriteCommand] = []
        var origins: [Int] = []  // for each command, the index of its event
        for (index, event) in events.enumerated() {
            defer { origins += Array(repeating: index, count: commands.count - origins.count) }
            let session = event.sessionID
            let key = Array(session.utf8)
            if current[key] == nil {
                current[key] = try await Self.beforeImporting { try await self.session(session).currentBranch() }
            }
            func onBranch() {
                if current[key]?.isSameName(as: event.branch) != true {
                    commands.append(switching(session, to: event.branch))
                    current[key] = event.branch
                }
            }
            switch event.payload {
            // Adds, pops and usage go to the event's branch or nowhere: if the store refused the
            // branch change before them, they are refused too (reported), not redirected.
            case .itemsAdded(let added):
                onBranch()
                commands.append(
                    .replaying(
                        event,
                        .addItems(session: session, items: added),
                        importedAfter: after(session, event.branch)
                    )
                )
            case .itemPopped:
                onBranch()
                commands.append(
                    .replaying(event, .popItem(session: session), importedAfter: after(session, event.branch))
                )
            case .sessionCleared:
                commands.append(.clearSession(session: session))
                current[key] = "main"
            case .branchCreated(let source, let turn):
                if current[key]?.isSameName(as: source) != true {
                    commands.append(switching(session, to: source))
                }
                // From its event's source branch or not at all: after a refused switch to it,
                // the branch would start from whichever branch was current.
                commands.append(
                    .replaying(
                        event,
                        .createBranch(session: session, source: .turn(turn), name: event.branch),
                        importedAfter: after(session, source)
                    )
                )
                created.insert([key, Array(event.branch.utf8)])
                current[key] = event.branch
            case .branchSwitched:
                onBranch()
            case .branchDeleted(let switchedToMain):
                let deletion = WriteCommand.deleteBranch(session: session, name: event.branch, force: true)
                if let after = after(session, event.branch) {
                    commands.append(.onImportedBranch(deletion, after: after))  // never the store's own
                } else {
                    commands.append(deletion)
                }
                if switchedToMain {
                    current[key] = "main"
                }
            case .usageRecorded(_, let usage):
                onBranch()
                commands.append(
                    .replaying(
                        event,
                        .recordUsage(session: session, usage: usage),
                        importedAfter: after(session, event.branch)
                    )
                )
            }
        }
        return try await submitImport(commands, origins: (origins, events.count), progress: progress)
    }

    /// Why a store opened with `options` refuses to replay `event`, whatever it holds: an item
    /// over `maxItemBytes`, an add larger than one event can hold, a session id or branch name
    /// no store can hold, usage counts out of range; nil when there is no such reason.
    /// ``importEvents(_:appending:progress:)`` checks every event this way before it writes
    /// anything, so that such an event refuses the whole import instead of being skipped in the
    /// middle of it; a caller that reads the events one by one can check each as it reads it,
    /// to say where it is.
    public static func importRefusal(of event: LedgerEvent, options: LedgerOptions) -> LedgerError? {
        let consequence = "nothing was imported"
        do {
            try Validation.checkSessionID(event.sessionID)
            try Validation.checkBranchName(event.branch)
            switch event.payload {
            case .itemsAdded(let items):
                try Validation.checkAdd(items, options: options, consequence: consequence)
            case .branchCreated(let source, _):
                try Validation.checkBranchName(source)
            case .usageRecorded(_, let usage):
                try Validation.checkUsage(usage, consequence: consequence)
            case .itemPopped, .sessionCleared, .branchSwitched, .branchDeleted:
                break
            }
        } catch {
            return error
        }
        return nil
    }

    /// Refuses an import with `conflict` before anything is written when a session its events
    /// write already exists in this store (see ``importEvents(_:appending:progress:)``).
    private func checkNoneExists(_ events: [LedgerEvent]) async throws {
        var seen = Set<[UInt8]>()
        let sessions = events.map(\.sessionID).filter { seen.insert(Array($0.utf8)).inserted }
        let existing = try await read { db in
            try sessions.first { id in
                try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM session WHERE id = ?"), arguments: [id]) != nil
            }
        }
        if let existing {
            throw LedgerError(
                .conflict,
                "session '\(existing)' already exists in this store: importing would replay the events after the "
                    + "ones it has (importing the same export twice doubles every session), so nothing was "
                    + "imported. Import into a new store, or append on purpose"
            )
        }
    }

    /// Runs `body`, the reads an import plans with before it writes anything; a cancelled task
    /// gets `cancelled` saying that nothing was imported, not that a query was cancelled.
    static func beforeImporting<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as LedgerError where error.code == .cancelled {
            throw LedgerError(
                .cancelled,
                "the import was cancelled before its first group commit: nothing was imported",
                underlying: error
            )
        }
    }

    /// Writes `commands` in group commits of at most ``importCommandsPerCommit`` commands and,
    /// unless one command is larger, `LedgerOptions.groupCommitMaxBytes` bytes of events
    /// (``WriteCommand/byteCount``: a group commit is one frame, which holds at most 1 GiB), and
    /// sums up what they wrote: the items and sessions of the commands that succeeded, and each
    /// refusal with the position of the event it came from, when `origins` gives each command's
    /// event (and how many events there are). Reports to `progress` after each group commit,
    /// with the events done whole when `origins` is given.
    ///
    /// With `sessions` (where each session's commands start, in order), a group commit ends
    /// before the first command of a session whenever the bounds leave a choice, so that an
    /// import that stops (a crash, a full disk) leaves whole sessions, and the error says which.
    func submitImport(
        _ commands: [WriteCommand],
        origins eventOrigins: (indexes: [Int], eventCount: Int)? = nil,
        sessions starts: [(index: Int, id: String)]? = nil,
        progress: (@Sendable (ImportProgress) -> Void)? = nil
    ) async throws -> ImportSummary {
        let origins = eventOrigins?.indexes
        var written = 0
        var items = 0
        var sessions = Set<[UInt8]>()  // by the id's bytes, as the store compares them
        var refused: [String] = []
        var refusedEventIndexes: [Int] = []
        var start = 0
        var nextStart = 0  // the first of `starts` not before `start`
        var lastSequence: UInt64?
        while start < commands.count {
            // Cancelled: stop between two group commits, each written whole or not at all.
            if Task.isCancelled {
                let cancelled = LedgerError(.cancelled, "the import was cancelled between two group commits")
                if let starts {
                    throw Self.sessionImportStopped(cancelled, sessions: starts, atCommand: start, refused: refused)
                }
                throw Self.importStopped(
                    cancelled,
                    written: written,
                    at: origins?[start],
                    groupMayBeWritten: false,
                    refused: refused
                )
            }
            var end = ImportChunks.end(
                from: start,
                before: commands.count,
                maxCount: Self.importCommandsPerCommit,
                maxBytes: options.groupCommitMaxBytes
            ) { commands[$0].byteCount }
            if end < commands.count, let starts {
                // The last session start in (start, end], if any; starts are in order.
                while nextStart < starts.count, starts[nextStart].index <= start {
                    nextStart += 1
                }
                var boundary: Int?
                var cursor = nextStart
                while cursor < starts.count, starts[cursor].index <= end {
                    boundary = starts[cursor].index
                    cursor += 1
                }
                end = boundary ?? end
            }
            let chunk = Array(commands[start..<end])
            start = end
            let outcome: WriteOutcome
            do {
                outcome = try await write(.sequence(chunk))
            } catch let error as LedgerError {
                if let starts {
                    throw Self.sessionImportStopped(
                        error,
                        sessions: starts,
                        atCommand: start - chunk.count,
                        refused: refused
                    )
                }
                throw Self.importStopped(
                    error,
                    written: written,
                    at: origins?[start - chunk.count],
                    groupMayBeWritten: true,
                    refused: refused
                )
            }
            // The events before the next command's are whole (those with no command of their
            // own included); at the end, every event.
            let eventsDone = eventOrigins.map { start < $0.indexes.count ? $0.indexes[start] : $0.eventCount }
            lastSequence = Self.lastSequence(of: outcome) ?? lastSequence
            progress?(
                ImportProgress(
                    written: start,
                    total: commands.count,
                    eventsDone: eventsDone,
                    lastSequence: lastSequence
                )
            )
            guard case .sequence(let outcomes) = outcome else {
                continue
            }
            for (offset, outcome) in outcomes.enumerated() {
                let command = chunk[offset]
                switch outcome {
                case .success(.nothing):
                    break
                case .success:
                    written += 1
                    sessions.insert(Array(command.sessionID.utf8))
                    if case .addItems(_, let added) = command {
                        items += added.count
                    } else if case .replaying(_, .addItems(_, let added), _) = command {
                        items += added.count
                    }
                case .failure(let error):
                    refused.append(error.message)
                    if let origins {
                        refusedEventIndexes.append(origins[start - chunk.count + offset])
                    }
                }
            }
        }
        var summary = ImportSummary(eventsWritten: written, sessions: sessions.count, items: items, refused: refused)
        summary.refusedEventIndexes = refusedEventIndexes
        return summary
    }

    /// The sequence number of the last event an outcome wrote, if it wrote any.
    private static func lastSequence(of outcome: WriteOutcome) -> UInt64? {
        switch outcome {
        case .nothing:
            return nil
        case .written(let sequence), .popped(_, let sequence), .branchCreated(_, let sequence):
            return sequence
        case .sequence(let outcomes):
            return outcomes.compactMap { try? lastSequence(of: $0.get()) }.max()
        }
    }

    /// `error` with where an import of whole sessions (``submitImport(_:origins:sessions:progress:)``)
    /// stopped: the group commit that failed started with command `index`.
    private static func sessionImportStopped(
        _ error: LedgerError,
        sessions starts: [(index: Int, id: String)],
        atCommand index: Int,
        refused: [String]
    ) -> LedgerError {
        // Sessions with commands (an empty one writes nothing) wholly before `index`.
        var whole = 0
        var part: String?
        for (position, session) in starts.enumerated() {
            let end = position + 1 < starts.count ? starts[position + 1].index : Int.max
            if end <= index {
                whole += end > session.index ? 1 : 0
            } else if session.index < index {
                part = session.id
            }
        }
        let cut = part.map { ", and session '\($0)' in part" } ?? ""
        return LedgerError(
            error.code,
            error.message + ". The import stopped: \(whole) sessions of the file, the first ones that hold items, "
                + "are in the store, whole\(cut). Import the same file again resuming (`--resume`, `resuming: true`) to finish "
                + "it" + refusals(refused),
            location: error.location,
            underlying: error
        )
    }

    /// `error` with where the import stopped: an import is not one transaction, and the events
    /// written before the failure stay (running the same import again would add them twice).
    /// `groupMayBeWritten`: the group commit starting at `event` failed, and may be in the store.
    private static func importStopped(
        _ error: LedgerError,
        written: Int,
        at event: Int?,
        groupMayBeWritten: Bool,
        refused: [String]
    ) -> LedgerError {
        let place = event.map { " at event \($0 + 1) of the input" } ?? ""
        let group =
            groupMayBeWritten
            ? ", and the group of commands that failed may be too (see `agentledger log`)"
            : ", none after them"
        return LedgerError(
            error.code,
            error.message + ". The import stopped\(place): the \(written) events it wrote before are in the store"
                + group + "; importing the same input again, appending, would add them twice" + refusals(refused),
            location: error.location,
            underlying: error
        )
    }

    /// The commands refused before an import stopped, for its error: a whole import reports
    /// them in its summary, which a stopped one never returns.
    private static func refusals(_ refused: [String]) -> String {
        guard !refused.isEmpty else {
            return ""
        }
        let shown = refused.prefix(3).joined(separator: "; ")
        let more = refused.count > 3 ? "; and \(refused.count - 3) more" : ""
        let were = refused.count == 1 ? "was" : "were"
        return ". Before it stopped, \(counted(refused.count, "command")) \(were) refused and not written: " + shown
            + more
    }
}
