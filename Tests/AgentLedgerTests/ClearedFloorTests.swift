import AgentLedgerTestSupport
import Foundation
import GRDB
import Testing

@testable import AgentLedger

/// `branch.cleared_seq` (Migrations/0003): current-state reads walk `item_position` only above
/// it, so it must never hide a live row, and it must move with every clear and branch delete
/// (else the reads it bounds walk the whole history again).
@Suite("Read model: the floor of each branch's live rows")
struct ClearedFloorTests {
    /// What is wrong with the floors of the read model at `path`, given the log's events.
    static func floorProblems(storePath: String, ledger: Ledger) async throws -> [String] {
        var lastClear: [String: UInt64] = [:]
        for try await event in try ledger.events(EventFilter(kinds: [.sessionCleared])) {
            lastClear[event.sessionID] = event.sequence
        }
        let model = try ReadModel.open(path: storePath + "/" + ReadModel.fileName, readOnly: true, readerCount: 1)
        defer { try? model.close() }
        let clears = lastClear
        return try await model.pool.read { db in
            var problems: [String] = []
            let hidden = try Row.fetchAll(
                db,
                sql: """
                    SELECT i.session, i.branch, i.item_seq, b.cleared_seq FROM item i
                    JOIN branch b ON b.session = i.session AND b.name = i.branch
                    WHERE i.removed_seq IS NULL AND i.item_seq <= b.cleared_seq
                    """
            )
            for row in hidden {
                problems.append(
                    "live row \(row[2] as Int64) of \(row[0] as String)/\(row[1] as String) at or below the floor \(row[3] as Int64)"
                )
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
