import GRDB

/// Turns a command into its event, checking it against the read model's current state.
///
/// Runs on the writer inside the batch's transaction, so it sees the rows of the commands
/// earlier in the same batch. It throws ``Rejection`` for a command the session's state does not
/// allow; it writes nothing, so a rejection never disturbs the rest of the batch.
struct CommandDeriver {
    /// A command refused because of the caller's input or the session's state.
    struct Rejection: Error {
        let error: LedgerError
    }

    /// The store's options, for their limits on adds (``Validation/checkAdd(_:options:consequence:)``).
    let limits: LedgerOptions

    /// The most item bytes an add's event can carry and still fit in one frame: the frame's
    /// payload limit less room for the envelope (ids, lengths; a few bytes per item, counted
    /// separately) of a session id and branch name at their longest.
    static let frameItemBytes = ZstdCodec.maxRawBytes - FrameHeader.byteCount - 4096

    /// The event for `command` (nil when the command changes nothing) and the caller's answer.
    func derive(
        _ command: WriteCommand,
        sequence: UInt64,
        timestamp: Int64,
        context: ProjectionContext
    ) throws -> (event: LedgerEvent?, outcome: WriteOutcome) {
        let db = context.db
        func event(_ session: String, _ branch: String, _ payload: EventPayload) -> LedgerEvent {
            LedgerEvent(
                sequence: sequence,
                timestampMicros: timestamp,
                sessionID: session,
                branch: branch,
                payload: payload
            )
        }
        switch command {
        case .addItems(let session, let items):
            try checkAdd(session, items)
            guard !items.isEmpty else {
                return (nil, .nothing)
            }
            let branch = try context.currentBranch(session) ?? "main"
            return (event(session, branch, .itemsAdded(items)), .written(sequence: sequence))

        case .popItem(let session):
            try Self.checkSessionID(session)
            guard let branch = try context.currentBranch(session),
                let last = try context.lastLiveItem(session, branch: branch),
                let row = try Row.fetchOne(
                    db.cachedStatement(
                        sql: """
                            SELECT json FROM item INDEXED BY item_position
                            WHERE session = ? AND branch = ? AND item_seq = ? AND item_index = ?
                              AND removed_seq IS NULL
                            """
                    ),
                    arguments: [session, branch, last.sequence, last.index]
                )
            else {
                return (nil, .nothing)
            }
            let json: String = row[0]
            let bytes = Array(json.utf8)
            let item = SessionItem(
                validatedBytes: bytes,
                facts: try SessionItem.classify(bytes: bytes, includingTexts: false)
            )
            let payload = EventPayload.itemPopped(
                item: item,
                itemSequence: UInt64(last.sequence),
                itemIndex: last.index
            )
            return (event(session, branch, payload), .popped(item, sequence: sequence))

        case .clearSession(let session):
            try Self.checkSessionID(session)
            guard try context.currentBranch(session) != nil else {
                return (nil, .nothing)
            }
            return (event(session, "main", .sessionCleared), .written(sequence: sequence))

        case .createBranch(let session, let source, let name):
            try Self.checkSessionID(session)
            let current = try context.currentBranch(session) ?? "main"
            let turn = try resolveTurn(source, session: session, branch: current, db: db)
            let newName: String
            if let name {
                try Self.checkBranchName(name)
                if try isReserved(name, session: session, db: db) {
                    throw Rejection(
                        error: LedgerError(
                            .conflict,
                            "branch name '\(name)' was already used in session '\(session)'; "
                                + "names stay reserved after delete and clear"
                        )
                    )
                }
                newName = name
            } else {
                newName = try defaultBranchName(turn: turn, timestamp: timestamp, session: session, db: db)
            }
            let payload = EventPayload.branchCreated(sourceBranch: current, fromTurn: turn)
            return (event(session, newName, payload), .branchCreated(newName, sequence: sequence))

        case .switchBranch(let session, let name):
            try Self.checkSessionID(session)
            try Self.checkBranchName(name)
            let current = try context.currentBranch(session) ?? "main"
            try requireLiveBranch(name, session: session, db: db)
            guard !name.isSameName(as: current) else {
                return (nil, .nothing)
            }
            return (event(session, name, .branchSwitched(previousBranch: current)), .written(sequence: sequence))

        case .deleteBranch(let session, let name, let force):
            try Self.checkSessionID(session)
            try Self.checkBranchName(name)
            guard name != "main" else {
                throw Rejection(error: LedgerError(.conflict, "the branch 'main' cannot be deleted"))
            }
            try requireLiveBranch(name, session: session, db: db)
            let isCurrent = try context.currentBranch(session)?.isSameName(as: name) == true
            if isCurrent && !force {
                throw Rejection(
                    error: LedgerError(
                        .conflict,
                        "branch '\(name)' is the current branch of session '\(session)'; "
                            + "switch to another branch first or delete with force"
                    )
                )
            }
            return (
                event(session, name, .branchDeleted(switchedToMain: isCurrent)),
                .written(sequence: sequence)
            )

        case .recordUsage(let session, let usage):
            try Self.checkSessionID(session)
            try Self.checkUsage(usage)
            guard let branch = try context.currentBranch(session) else {
                return (nil, .nothing)
            }
            let turn = try context.turnCount(session, branch: branch) ?? 0
            guard turn > 0 else {
                return (nil, .nothing)
            }
            return (event(session, branch, .usageRecorded(turn: turn, usage: usage)), .written(sequence: sequence))

        case .replaying(let source, let command, let importedAfter):
            // Deriving writes nothing: a replay that would record something else is refused whole.
            let derived = try derive(command, sequence: sequence, timestamp: timestamp, context: context)
            if let difference = Self.difference(derived.event, from: source) {
                throw Rejection(error: LedgerError(.conflict, "session '\(source.sessionID)' \(difference)"))
            }
            if let importedAfter, let event = derived.event {
                try Self.requireImportedBranch(event, after: importedAfter, db: db)
            }
            return derived

        case .onImportedBranch(let command, let after):
            let derived = try derive(command, sequence: sequence, timestamp: timestamp, context: context)
            if let event = derived.event {
                try Self.requireImportedBranch(event, after: after, db: db)
            }
            return derived

        case .sequence:
            preconditionFailure("the writer expands a command sequence before deriving events")
        }
    }

    /// Throws unless the branch `event` acts on (for a new branch, its source) was created after
    /// sequence `after`, by the import replaying it: a branch of that name the store had before
    /// (its creation by the import refused) is another branch.
    private static func requireImportedBranch(_ event: LedgerEvent, after: UInt64, db: Database) throws {
        var branch = event.branch
        if case .branchCreated(let source, _) = event.payload {
            branch = source
        }
        let created = try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT created_seq FROM branch WHERE session = ? AND name = ?"),
            arguments: [event.sessionID, branch]
        )
        guard let created, UInt64(clamping: created) > after else {
            throw Rejection(
                error: LedgerError(
                    .conflict,
                    "session '\(event.sessionID)' has a branch '\(branch)' of its own, from before the import, not "
                        + "the exported one: not applied to another branch"
                )
            )
        }
    }

    /// How `event`, the replay of the exported `source`, would record another history; nil
    /// when it records the same: the same branch, and for a pop the same item, for usage the
    /// same turn, for a new branch the same source branch and turn.
    private static func difference(_ event: LedgerEvent?, from source: LedgerEvent) -> String? {
        guard let event else {
            // An add of no items writes nothing, here as in the source; a pop or usage record must.
            switch source.payload {
            case .itemPopped: return "differs from the exported one here: the branch has no item to pop; not applied"
            case .usageRecorded: return "differs from the exported one here: the branch has no turn; not applied"
            default: return nil
            }
        }
        guard event.branch.isSameName(as: source.branch) else {
            return "is on branch '\(event.branch)', not '\(source.branch)' where the event was written: "
                + "not applied to another branch"
        }
        switch (source.payload, event.payload) {
        case (.itemPopped(let expected, _, _), .itemPopped(let item, _, _)) where item != expected:
            return "differs from the exported one here: it would pop \(item.json.prefix(80)), "
                + "not \(expected.json.prefix(80)); not applied"
        case (.usageRecorded(let expected, _), .usageRecorded(let turn, _)) where turn != expected:
            return "differs from the exported one here: it would record usage on turn \(turn), not \(expected); "
                + "not applied"
        case (.branchCreated(let expectedSource, let expectedTurn), .branchCreated(let branchSource, let turn))
        where !branchSource.isSameName(as: expectedSource) || turn != expectedTurn:
            return "differs from the exported one here: it would create branch '\(event.branch)' from turn \(turn) "
                + "of '\(branchSource)', not from turn \(expectedTurn) of '\(expectedSource)'; not applied"
        default:
            return nil
        }
    }

    /// What the writer keeps in memory about a session for ``deriveAhead(_:sequence:timestamp:head:)``.
    struct SessionHead {
        /// The session's current branch.
        var branch: String
        /// The live user turns of that branch.
        var turns: Int
    }

    /// Whether ``deriveAhead(_:sequence:timestamp:head:)`` can derive `command`: an add or a
    /// usage record, the commands whose checks need only the session's ``SessionHead``.
    static func canDeriveAhead(_ command: WriteCommand) -> Bool {
        switch command {
        case .addItems, .recordUsage: true
        default: false
        }
    }

    /// The event for an add or a usage record, derived from the session's head as the writer
    /// keeps it in memory (`head`; nil for a session that does not exist) instead of from the
    /// read model, so that a whole batch's events are known, written and fsynced before any of
    /// them is applied. Updates `head` with the event's effect. Gives the same events and
    /// outcomes as ``derive(_:sequence:timestamp:context:)``.
    func deriveAhead(
        _ command: WriteCommand,
        sequence: UInt64,
        timestamp: Int64,
        head: inout SessionHead?
    ) throws -> (event: LedgerEvent?, outcome: WriteOutcome) {
        switch command {
        case .addItems(let session, let items):
            try checkAdd(session, items)
            guard !items.isEmpty else {
                return (nil, .nothing)
            }
            var current = head ?? SessionHead(branch: "main", turns: 0)
            current.turns += items.count { $0.classification.isUser }
            head = current
            let event = LedgerEvent(
                sequence: sequence,
                timestampMicros: timestamp,
                sessionID: session,
                branch: current.branch,
                payload: .itemsAdded(items)
            )
            return (event, .written(sequence: sequence))
        case .recordUsage(let session, let usage):
            try Self.checkSessionID(session)
            try Self.checkUsage(usage)
            guard let head, head.turns > 0 else {
                return (nil, .nothing)
            }
            let event = LedgerEvent(
                sequence: sequence,
                timestampMicros: timestamp,
                sessionID: session,
                branch: head.branch,
                payload: .usageRecorded(turn: head.turns, usage: usage)
            )
            return (event, .written(sequence: sequence))
        default:
            preconditionFailure("deriveAhead handles only what canDeriveAhead accepts")
        }
    }

    private func checkAdd(_ session: String, _ items: [SessionItem]) throws {
        try Self.checkSessionID(session)
        do {
            try Validation.checkAdd(items, options: limits, consequence: "nothing was added")
        } catch {
            throw Rejection(error: error)
        }
    }

    static func checkSessionID(_ session: String) throws {
        do {
            try Validation.checkSessionID(session)
        } catch {
            throw Rejection(error: error)
        }
    }

    static func checkUsage(_ usage: RunUsage) throws {
        do {
            try Validation.checkUsage(usage)
        } catch {
            throw Rejection(error: error)
        }
    }

    static func checkBranchName(_ name: String) throws {
        do {
            try Validation.checkBranchName(name)
        } catch {
            throw Rejection(error: error)
        }
    }

    private func isReserved(_ name: String, session: String, db: Database) throws -> Bool {
        if name == "main" {
            return true
        }
        return try Bool.fetchOne(
            db.cachedStatement(sql: "SELECT 1 FROM branch WHERE session = ? AND name = ?"),
            arguments: [session, name]
        ) ?? false
    }

    private func requireLiveBranch(_ name: String, session: String, db: Database) throws {
        if name == "main" {
            return
        }
        let deleted = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT deleted_seq FROM branch WHERE session = ? AND name = ?"),
            arguments: [session, name]
        )
        guard let deleted else {
            throw Rejection(error: LedgerError(.notFound, "branch '\(name)' does not exist in session '\(session)'"))
        }
        if let sequence = deleted[0] as Int64? {
            throw Rejection(
                error: LedgerError(
                    .notFound,
                    "branch '\(name)' of session '\(session)' was deleted (sequence \(sequence))"
                )
            )
        }
    }

    private func resolveTurn(
        _ source: WriteCommand.BranchSource,
        session: String,
        branch: String,
        db: Database
    ) throws -> Int {
        switch source {
        case .turn(let turn):
            let exists =
                try Bool.fetchOne(
                    db.cachedStatement(
                        sql: """
                            SELECT 1 FROM item
                            WHERE session = ?1 AND branch = ?2 AND turn = ?3 AND is_user = 1 AND removed_seq IS NULL
                              AND item_seq > \(ReadModel.clearedSequence(session: "?1", branch: "?2"))
                            """
                    ),
                    arguments: [session, branch, turn]
                ) ?? false
            guard exists else {
                throw Rejection(
                    error: LedgerError(
                        .notFound,
                        "turn \(turn) does not exist on branch '\(branch)' of session '\(session)': "
                            + "a branch starts at a turn that has a user item"
                    )
                )
            }
            return turn
        case .turnContaining(let term):
            let rows = try Row.fetchCursor(
                db.cachedStatement(
                    sql: """
                        SELECT turn, json FROM item
                        WHERE session = ?1 AND branch = ?2 AND is_user = 1 AND removed_seq IS NULL
                          AND item_seq > \(ReadModel.clearedSequence(session: "?1", branch: "?2"))
                        ORDER BY item_seq, item_index
                        """
                ),
                arguments: [session, branch]
            )
            while let row = try rows.next() {
                let json: String = row[1]
                let facts = try SessionItem.classify(bytes: Array(json.utf8))
                if facts.userContentContains(term) {
                    return row[0]
                }
            }
            throw Rejection(
                error: LedgerError(
                    .notFound,
                    "no user turn on branch '\(branch)' of session '\(session)' contains '\(term)'"
                )
            )
        }
    }

    private func defaultBranchName(turn: Int, timestamp: Int64, session: String, db: Database) throws -> String {
        let base = "branch_from_turn_\(turn)_\(timestamp / 1_000_000)"
        var candidate = base
        var suffix = 2
        while try isReserved(candidate, session: session, db: db) {
            candidate = "\(base)_\(suffix)"
            suffix += 1
        }
        return candidate
    }
}
