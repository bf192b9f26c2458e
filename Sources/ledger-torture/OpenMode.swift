import AgentLedger
import Foundation

/// `open`: opens a (possibly hostile or damaged) store and reads all of its log, so that a test
/// can watch from outside: a crash is then a failed test, not a dead test run. Prints
/// `opened head=<sequence> events=<count>` and exits 0, or `refused <code> <message>` and exits
/// 74 when the ledger refuses the store (the test checks the code).
struct OpenMode {
    let store: String
    let readOnly: Bool

    init(_ arguments: TortureArguments) throws {
        store = try arguments.string("store")
        readOnly = try arguments.int("read-only", default: 0) != 0
    }

    func run() async throws -> Int32 {
        do {
            let ledger = try await Ledger.open(at: store, options: TortureCommand.options(readOnly: readOnly))
            var count = 0
            for try await _ in try ledger.events() {
                count += 1
            }
            let head = try await ledger.headSequence()
            try await ledger.close()
            TortureOutput.line("opened head=\(head) events=\(count)")
            return 0
        } catch let error as LedgerError {
            TortureOutput.line("refused \(error.code) \(error.message)")
            return 74
        }
    }
}
