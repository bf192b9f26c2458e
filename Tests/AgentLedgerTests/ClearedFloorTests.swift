import AgentLedgerTestSupport
import Foundation
import GRDB
import Testing

@testable import AgentLedger

/// `branch.cleared_seq` (Migrations/0003) and the chain of live rows (Migrations/0004):
/// current-state reads walk `item_position` only above the floor and up to the branch's last
/// live row, and a pop takes the popped row's predecessor as the new last. So the floor must
/// never hide a live row and must move with every clear and branch delete, the last live row
/// must be the branch's newest live row, and every live row must point at the live row before it.
@Suite("Read model: the floor of each branch's live rows")
struct ClearedFloorTests {
    /// Live rows at or below their branch's floor.
    static let hiddenRows = """
        SELECT 'live row ' || i.item_seq || ' of ' || i.session || '/' || i.branch
               || ' at or below the floor ' || b.cleared_seq
        FROM item i JOIN branch b ON b.session = i.session AND b.name = i.branch
        WHERE i.removed_seq IS NULL AND i.item_seq <= b.cleared_seq
        """

    /// Branches whose last live row is not their newest live row.
    static let wrongLastRows = """
        SELECT b.session || '/' || b.name || ': last live row ' || coalesce(b.last_seq || '/' || b.last_index, 'none')
               || ', newest live row ' || coalesce(l.item_seq || '/' || l.item_index, 'none')
        FROM branch b
        LEFT JOIN (SELECT session, branch, item_seq, item_index,
                          row_number() OVER (PARTITION BY session, branch ORDER BY item_seq DESC, item_index DESC) AS n
                   FROM item WHERE removed_seq IS NULL) l
          ON l.session = b.session AND l.branch = b.name AND l.n = 1
        WHERE b.last_seq IS NOT l.item_seq OR b.last_index IS NOT l.item_index
        """

    /// Live rows that do not point at the live row before them on their branch.
    static let brokenChains = """
        SELECT session || '/' || branch || ': live row ' || item_seq || '/' || item_index
               || ' points at ' || coalesce(prev_seq || '/' || prev_index, 'none')
               || ', the live row before it is ' || coalesce(live_seq || '/' || live_index, 'none')
        FROM (SELECT session, branch, item_seq, item_index, prev_seq, prev_index,
                     lag(item_seq) OVER w AS live_seq, lag(item_index) OVER w AS live_index
              FROM item WHERE removed_seq IS NULL
              WINDOW w AS (PARTITION BY session, branch ORDER BY item_seq, item_index))
        WHERE prev_seq IS NOT live_seq OR prev_index IS NOT live_index
        """

    /// What is wrong with the floors and chains of the read model at `path`, given the log's events.
    static func floorProblems(storePath: String, ledger: Ledger) async throws -> [String] {
        var lastClear: [String: UInt64] = [:]
        for try await event in try ledger.events(EventFilter(kinds: [.sessionCleared])) {
            lastClear[event.sessionID] = event.sequence
        }
        let model = try ReadModel.open(path: storePath + "/" + ReadModel.fileName, readOnly: true, readerCount: 1)
        defer { try? model.close() }
        let clears = lastClear
        return try await model.pool.read { db in
            // Each query names what is wrong, one row per problem.
            var problems: [String] = []
            for sql in [Self.hiddenRows, Self.wrongLastRows, Self.brokenChains] {
                problems += try String.fetchAll(db, sql: sql)
            }
            let branches = try Row.fetchAll(
                db,
                sql: "SELECT session, name, deleted_seq, cleared_seq FROM branch ORDER BY session, name"
            )
            for row in branches {
                let (session, name, deleted, floor): (String, String, Int64?, Int64) = (row[0], row[1], row[2], row[3])
                let expected: Int64
                if let deleted {
                    expected = deleted
                } else if name == "main" {
                    expected = Int64(clears[session] ?? 0)
                } else {
                    // A live branch other than main was created after the session's last clear
                    // (which deletes them all) and has never been cleared.
                    expected = 0
                }
                if floor != expected {
                    problems.append("\(session)/\(name): floor \(floor), expected \(expected)")
                }
            }
            return problems
        }
    }

    @Test("clears and deletes move the floor; the live rows above it are the session's items")
    func scriptedHistory() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let ledger = try await Ledger.open(at: store.path)
        let session = ledger.session("s")
        func user(_ text: String) -> SessionItem { try! SessionItem(json: #"{"role":"user","content":"\#(text)"}"#) }
        func reply(_ text: String) -> SessionItem {
            try! SessionItem(json: #"{"role":"assistant","content":"\#(text)"}"#)
        }
        try await session.addItems([user("u1"), reply("a1"), user("u2"), reply("a2")])
        _ = try await session.createBranch(fromTurn: 2, named: "side")
        try await session.addItems([user("side u2")])
        try await session.switchToBranch("main")
        try await session.deleteBranch("side", force: true)
        try await session.addItems([user("u3")])
        _ = try await session.popItem()
        try await session.clearSession()
        try await session.addItems([user("u4"), reply("a4")])
        _ = try await session.popItem()
        _ = try await session.createBranch(fromTurn: 1, named: "again")
        #expect(try await session.items().map(\.json) == [])
        try await session.switchToBranch("main")
        #expect(try await session.items().map(\.json) == [user("u4").json])
        #expect(try await ledger.sessions().first?.itemCount == 1)
        #expect(try await ledger.stats().liveItemCount == 1)

        let problems = try await Self.floorProblems(storePath: store.path, ledger: ledger)
        #expect(problems == [])
        try await ledger.close()
    }
}
