import GRDB

/// What the projector and the command deriver read and change on almost every event, kept in
/// memory and written to the rows once per transaction, just before it commits: each session's
/// current branch and last event, each branch's turn count and last live item, and the event
/// times. After a commit the memory still matches the rows, so the writer keeps one context
/// from one transaction to the next; after a rollback it must not.
///
/// Everything else (items, branches, usage, session heads) is written to the rows at once, so
/// queries inside the transaction see it.
final class ProjectionContext {
    private struct SessionState {
        var currentBranch: String
        var lastSequence: Int64
        var lastTime: Int64
    }

    /// Keys compare session ids and branch names byte for byte, as SQLite does: Swift strings
    /// compare by canonical equivalence, which would merge "café" (NFC) and "cafe\u{301}" (NFD).
    private struct BranchKey: Hashable {
        let session: [UInt8]
        let branch: [UInt8]

        init(session: String, branch: String) {
            self.session = Array(session.utf8)
            self.branch = Array(branch.utf8)
        }
    }

    /// A branch's live user turns and its last live item row.
    private struct BranchState {
        var turns: Int
        var last: ItemPosition?
    }

    /// Where an item row sits on its branch: the event that first added it and its index there.
    struct ItemPosition: Equatable {
        let sequence: Int64
        let index: Int

        init(sequence: Int64, index: Int) {
            self.sequence = sequence
            self.index = index
        }

        /// A position read from two nullable columns; `nil` when either is NULL.
        init?(_ sequence: Int64?, _ index: Int?) {
            guard let sequence, let index else {
                return nil
            }
            self.init(sequence: sequence, index: index)
        }
    }

    let db: Database
    let statements: ProjectionStatements
    private var sessions: [[UInt8]: SessionState] = [:]
    private var missingSessions: Set<[UInt8]> = []
    private var branches: [BranchKey: BranchState] = [:]
    /// The keys of ``branches`` by session, so that a clear resets its session's entries
    /// without walking every branch kept (the writer keeps a context across transactions).
    private var branchKeysBySession: [[UInt8]: [BranchKey]] = [:]
    /// The entries of ``sessions`` and ``branches`` that differ from the rows, written by
    /// ``flush()``: it walks these, not every session kept.
    private var dirtySessions: Set<[UInt8]> = []
    private var dirtyBranches: Set<BranchKey> = []
    private var eventTimes: [Int64: Int64] = [:]

    init(_ db: Database, statements: ProjectionStatements) {
        self.db = db
        self.statements = statements
    }

    /// Sessions whose state is kept in memory, existing or known to be missing.
    var cachedSessionCount: Int {
        sessions.count + missingSessions.count
    }

    /// The session's current branch; `nil` when the session does not exist.
    func currentBranch(_ session: String) throws -> String? {
        try state(session)?.currentBranch
    }

    private func state(_ session: String) throws -> SessionState? {
        let key = Array(session.utf8)
        if let state = sessions[key] {
            return state
        }
        if missingSessions.contains(key) {
            return nil
        }
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT current_branch, last_seq, last_at FROM session WHERE id = ?"),
                arguments: [session]
            )
        else {
            missingSessions.insert(key)
            return nil
        }
        let state = SessionState(
            currentBranch: row[0],
            lastSequence: row[1],
            lastTime: row[2]
        )
        sessions[key] = state
        return state
    }

    /// Creates the session row, its `main` branch and its first head, unless it exists.
    func ensureSession(_ session: String, sequence: Int64, time: Int64) throws {
        guard try state(session) == nil else {
            return
        }
        try db.cachedStatement(
            sql: """
                INSERT INTO session (id, current_branch, created_seq, created_at, last_seq, last_at)
                VALUES (?, 'main', ?, ?, ?, ?)
                """
        ).execute(arguments: [session, sequence, time, sequence, time])
        try db.cachedStatement(
            sql: "INSERT INTO branch (session, name, ordinal, created_seq, created_at) VALUES (?, 'main', 0, ?, ?)"
        ).execute(arguments: [session, sequence, time])
        try db.cachedStatement(sql: "INSERT INTO session_head (session, seq, current_branch) VALUES (?, ?, 'main')")
            .execute(arguments: [session, sequence])
        missingSessions.remove(Array(session.utf8))
        sessions[Array(session.utf8)] = SessionState(
            currentBranch: "main",
            lastSequence: sequence,
            lastTime: time
        )
        keep(BranchKey(session: session, branch: "main"), BranchState(turns: 0, last: nil))
    }

    /// Makes `branch` current and records the change in the session's head history.
    func setCurrentBranch(_ session: String, to branch: String, sequence: Int64) throws {
        guard var state = try state(session) else {
            throw LedgerError(
                .corruptLog,
                "event \(sequence) changes the branch of session '\(session)' before it exists"
            )
        }
        state.currentBranch = branch
        let key = Array(session.utf8)
        sessions[key] = state
        dirtySessions.insert(key)
        try db.cachedStatement(
            sql: "INSERT OR REPLACE INTO session_head (session, seq, current_branch) VALUES (?, ?, ?)"
        )
        .execute(arguments: [session, sequence, branch])
    }

    /// Records the session's latest event and the event's time.
    func touch(_ session: String, sequence: Int64, time: Int64) throws {
        if var state = try state(session) {
            state.lastSequence = sequence
            state.lastTime = time
            let key = Array(session.utf8)
            sessions[key] = state
            dirtySessions.insert(key)
        }
        eventTimes[time] = max(eventTimes[time] ?? 0, sequence)
    }

    private func branchState(_ session: String, branch: String) throws -> BranchState? {
        let key = BranchKey(session: session, branch: branch)
        if let cached = branches[key] {
            return cached
        }
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: "SELECT turn_count, last_seq, last_index FROM branch WHERE session = ? AND name = ?"
                ),
                arguments: [session, branch]
            )
        else {
            return nil
        }
        let state = BranchState(turns: row[0], last: ItemPosition(row[1], row[2]))
        keep(key, state)
        return state
    }

    /// The number of live user turns of a branch; `nil` when the branch does not exist.
    func turnCount(_ session: String, branch: String) throws -> Int? {
        try branchState(session, branch: branch)?.turns
    }

    /// The last live item row of a branch; `nil` when it has none or does not exist.
    func lastLiveItem(_ session: String, branch: String) throws -> ItemPosition? {
        try branchState(session, branch: branch)?.last
    }

    /// Records a branch's live user turns and its last live item row.
    func setBranch(_ session: String, _ branch: String, turns: Int, last: ItemPosition?) {
        let key = BranchKey(session: session, branch: branch)
        keep(key, BranchState(turns: turns, last: last))
        dirtyBranches.insert(key)
    }

    /// Sets a branch's entry, indexing its key under its session when it is new.
    private func keep(_ key: BranchKey, _ state: BranchState) {
        if branches.updateValue(state, forKey: key) == nil {
            branchKeysBySession[key.session, default: []].append(key)
        }
    }

    /// Leaves every branch of the session with no turns and no live items (a clear).
    func resetBranches(_ session: String) throws {
        try db.cachedStatement(
            sql: "UPDATE branch SET turn_count = 0, last_seq = NULL, last_index = NULL WHERE session = ?"
        ).execute(arguments: [session])
        for key in branchKeysBySession[Array(session.utf8)] ?? [] {
            branches[key] = BranchState(turns: 0, last: nil)
            // The rows were just reset above: nothing of the branch is left to flush.
            dirtyBranches.remove(key)
        }
    }

    /// Writes what is kept in memory to the rows. Call once, before the transaction commits.
    func flush() throws {
        for key in dirtySessions {
            guard let state = sessions[key] else {
                continue
            }
            let update = statements.updateSession
            update.bind(1, state.currentBranch)
            update.bind(2, state.lastSequence)
            update.bind(3, state.lastTime)
            update.bindText(4, key)
            try update.run()
        }
        dirtySessions.removeAll(keepingCapacity: true)
        for key in dirtyBranches {
            guard let value = branches[key] else {
                continue
            }
            let update = statements.updateBranch
            update.bind(1, value.turns)
            update.bind(2, value.last?.sequence)
            update.bind(3, value.last.map { Int64($0.index) })
            update.bindText(4, key.session)
            update.bindText(5, key.branch)
            try update.run()
        }
        dirtyBranches.removeAll(keepingCapacity: true)
        for (time, sequence) in eventTimes {
            let record = statements.recordEventTime
            record.bind(1, time)
            record.bind(2, sequence)
            try record.run()
        }
        eventTimes.removeAll(keepingCapacity: true)
    }
}
