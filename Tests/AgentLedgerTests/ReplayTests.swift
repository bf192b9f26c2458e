import AgentLedgerTestSupport
import Foundation
import GRDB
import Testing

@testable import AgentLedger

/// The replay of the log into a read model, which opening, rebuilds and the writer's catch-up
/// after a failure share: it must reach the sequence number it was asked for.
@Suite("Replay")
struct ReplayTests {
    @Test(
        "a replay whose log ends before the sequence number asked for throws corruptLog, with the rows it applied committed"
    )
    func replayEndingShortThrows() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let ledger = try await store.open()
        for index in 0..<3 {
            try await ledger.session("s").addItems([ItemFactory.user("message \(index)")])
        }
        try await ledger.close()

        func replayed(through last: UInt64) throws -> (DatabaseQueue, Result<Void, any Error>) {
            let model = try DatabaseQueue()
            try ReadModel.migrate(model, options: LedgerOptions())
            let result = Result {
                try ReadModelBuilder.replay(directory: store.path, into: model, from: 1, through: last, progress: nil)
            }
            return (model, result)
        }
        func rows(_ model: DatabaseQueue) throws -> (checkpoint: UInt64, items: Int) {
            try model.read { db in
                (try Projector.checkpoint(db), try Int.fetchOne(db, sql: "SELECT count(*) FROM item") ?? -1)
            }
        }

        let (whole, wholeResult) = try replayed(through: 3)
        #expect(throws: Never.self) { try wholeResult.get() }
        #expect(try rows(whole) == (3, 3))

        let (short, shortResult) = try replayed(through: 5)
        let error = try #require(throws: LedgerError.self) { try shortResult.get() }
        #expect(error.code == .corruptLog)
        #expect(error.message.contains("end at sequence number 3, before 5"), "\(error.message)")
        #expect(try rows(short) == (3, 3))
    }
}
