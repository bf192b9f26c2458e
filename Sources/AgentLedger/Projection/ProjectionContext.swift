import GRDB

/// What the projector and the command deriver read and change on almost every event, kept in
/// memory for one transaction and written to the rows once, just before it commits: each
/// session's current branch and last event, each branch's turn count, and the event times.
///
/// Everything else (items, branches, usage, session heads) is written to the rows at once, so
/// queries inside the transaction see it.
final class ProjectionContext {
    private struct SessionState {
        var id: String
        var currentBranch: String
        var lastSequence: Int64
        var lastTime: Int64
        var dirty: Bool
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

    let db: Database
    let statements: ProjectionStatements
    private var sessions: [[UInt8]: SessionState] = [:]
    private var missingSessions: Set<[UInt8]> = []
    private var turnCounts: [BranchKey: (count: Int, dirty: Bool)] = [:]
    private var eventTimes: [Int64: Int64] = [:]

    init(_ db: Database, statements: ProjectionStatements) {
        self.db = db
        self.statements = statements
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
            id: session,
            currentBranch: row[0],
            lastSequence: row[1],
            lastTime: row[2],
            dirty: false
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
            id: session,
            currentBranch: "main",
            lastSequence: sequence,
            lastTime: time,
            dirty: false
        )
        turnCounts[BranchKey(session: session, branch: "main")] = (0, false)
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
        state.dirty = true
        sessions[Array(session.utf8)] = state
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
            state.dirty = true
            sessions[Array(session.utf8)] = state
        }
        eventTimes[time] = max(eventTimes[time] ?? 0, sequence)
    }

    /// The number of live user turns of a branch; `nil` when the branch does not exist.
    func turnCount(_ session: String, branch: String) throws -> Int? {
        let key = BranchKey(session: session, branch: branch)
        if let cached = turnCounts[key] {
            return cached.count
        }
        guard
            let count = try Int.fetchOne(
                db.cachedStatement(sql: "SELECT turn_count FROM branch WHERE session = ? AND name = ?"),
                arguments: [session, branch]
            )
        else {
            return nil
        }
        turnCounts[key] = (count, false)
        return count
    }

    func setTurnCount(_ count: Int, session: String, branch: String) {
        turnCounts[BranchKey(session: session, branch: branch)] = (count, true)
    }

    /// Sets every branch of the session to zero turns (a clear).
    func resetTurnCounts(_ session: String) throws {
        try db.cachedStatement(sql: "UPDATE branch SET turn_count = 0 WHERE session = ?").execute(arguments: [session])
        let sessionKey = Array(session.utf8)
        for key in turnCounts.keys where key.session == sessionKey {
            turnCounts[key] = (0, false)
        }
    }

    /// Writes what is kept in memory to the rows. Call once, before the transaction commits.
    func flush() throws {
        for (key, state) in sessions where state.dirty {
            try db.cachedStatement(sql: "UPDATE session SET current_branch = ?, last_seq = ?, last_at = ? WHERE id = ?")
                .execute(arguments: [state.currentBranch, state.lastSequence, state.lastTime, state.id])
            sessions[key]?.dirty = false
        }
        for (key, value) in turnCounts where value.dirty {
            try db.cachedStatement(sql: "UPDATE branch SET turn_count = ? WHERE session = ? AND name = ?")
                .execute(arguments: [
                    value.count, String(decoding: key.session, as: UTF8.self),
                    String(decoding: key.branch, as: UTF8.self),
                ])
            turnCounts[key]?.dirty = false
        }
        for (time, sequence) in eventTimes {
            try db.cachedStatement(
                sql: """
                    INSERT INTO event_time (at, seq) VALUES (?, ?)
                    ON CONFLICT (at) DO UPDATE SET seq = max(seq, excluded.seq)
                    """
            ).execute(arguments: [time, sequence])
        }
        eventTimes.removeAll(keepingCapacity: true)
    }
}
