import AgentLedger
import Foundation
import Synchronization

/// `soak`: `--ops` operations (adds, reads, pops, clears, searches, usage) from `--tasks` tasks
/// over `--sessions` sessions, printing the resident memory every `--report-every` operations:
/// `rss ops=<done> kb=<VmRSS> fds=<open descriptors>`, then `soak done ops=<n> seconds=<s>
/// warm-kb=<VmRSS after the first tenth> end-kb=<VmRSS at the end> max-kb=<largest VmRSS>`.
/// Durability is `none`: the soak is about memory and descriptors, not the disk.
struct SoakMode {
    /// The operations done so far, shared by the tasks.
    private final class Progress: Sendable {
        let done = Atomic<Int>(0)
        let largestKilobytes = Atomic<Int>(0)
        let warmKilobytes = Atomic<Int>(0)
    }

    let store: String
    let operations: Int
    let tasks: Int
    let sessions: Int
    let reportEvery: Int

    init(_ arguments: TortureArguments) throws {
        store = try arguments.string("store")
        operations = try arguments.int("ops", default: 1_000_000)
        tasks = max(1, try arguments.int("tasks", default: 8))
        sessions = max(1, try arguments.int("sessions", default: 64))
        reportEvery = max(1, try arguments.int("report-every", default: 50_000))
    }

    func run() async throws -> Int32 {
        let ledger = try await Ledger.open(at: store, options: TortureCommand.options(durability: .none))
        let progress = Progress()
        let start = ContinuousClock.now
        TortureOutput.line(
            "rss ops=0 kb=\(ProcessFigures.residentKilobytes()) fds=\(ProcessFigures.descriptorCount())"
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<tasks {
                group.addTask { try await work(ledger, task: task, progress: progress) }
            }
            try await group.waitForAll()
        }
        try await ledger.close()
        let seconds =
            Double((ContinuousClock.now - start).components.attoseconds) / 1e18
            + Double((ContinuousClock.now - start).components.seconds)
        TortureOutput.line(
            "soak done ops=\(operations) seconds=\(Int(seconds)) warm-kb=\(progress.warmKilobytes.load(ordering: .relaxed)) "
                + "end-kb=\(ProcessFigures.residentKilobytes()) max-kb=\(progress.largestKilobytes.load(ordering: .relaxed))"
        )
        return 0
    }

    private func work(_ ledger: Ledger, task: Int, progress: Progress) async throws {
        var random = TortureRandom(seed: UInt64(task) &+ 0x50A4)
        let padding = String(repeating: "memory ", count: 20)
        while true {
            let done = progress.done.wrappingAdd(1, ordering: .relaxed).newValue
            guard done <= operations else {
                return
            }
            let sessionNumber = random.below(sessions)
            let session = ledger.session("soak-\(sessionNumber)")
            let choice = random.below(100)
            switch choice {
            case 0..<45:
                let count = 1 + random.below(3)
                let items = (0..<count).map { TortureCommand.item("soak \(done) \($0) \(padding)") }
                try await session.addItems(items)
            case 45..<80:
                _ = try await session.items(limit: 10)
            case 80..<90:
                _ = try await session.popItem()
            case 90..<93:
                try await session.clearSession()
            case 93..<96:
                // A rare term (one operation's number), as a real query is: a term in every item
                // would make each search walk the whole index.
                _ = try await session.search("\(random.below(done))", limit: 5)
            default:
                await session.storeRunUsage(
                    RunUsage(requests: 1, inputTokens: 10, outputTokens: 5, totalTokens: 15, detailsJSON: nil)
                )
            }
            if done % reportEvery == 0 {
                let kilobytes = ProcessFigures.residentKilobytes()
                _ = progress.largestKilobytes.max(kilobytes, ordering: .relaxed)
                if done == max(reportEvery, operations / 10 / reportEvery * reportEvery) {
                    progress.warmKilobytes.store(kilobytes, ordering: .relaxed)
                }
                TortureOutput.line("rss ops=\(done) kb=\(kilobytes) fds=\(ProcessFigures.descriptorCount())")
            }
        }
    }
}
