import AgentLedger
import Foundation

/// `resources`: counts this process's open descriptors around a fixed workload, so that the
/// count is not disturbed by anything else (a test process runs other tests at the same time).
///
/// `--writers` tasks append and `--readers` tasks read (`--ops` calls per round in total, split
/// among them); one round warms up, then `--rounds` more follow; then `--handles` session handles
/// are made, used and dropped, and a log scan runs; then the store is closed.
///
/// Timer descriptors of the Swift runtime are left out of every count (see ``descriptors()``).
/// Prints `fds baseline=<before open> warm=<after warm-up> rounds=<a,b,...> handles=<after the
/// handles> closed=<after close>`, and `extra <descriptor> <target>` for every descriptor open
/// after close (or after a round) that was not open before.
struct ResourceMode {
    let store: String
    let writers: Int
    let readers: Int
    let opsPerRound: Int
    let rounds: Int
    let handles: Int

    init(_ arguments: TortureArguments) throws {
        store = try arguments.string("store")
        writers = max(1, try arguments.int("writers", default: 30))
        readers = max(1, try arguments.int("readers", default: 10))
        opsPerRound = try arguments.int("ops", default: 4000)
        rounds = max(1, try arguments.int("rounds", default: 3))
        handles = try arguments.int("handles", default: 1000)
    }

    func run() async throws -> Int32 {
        try await Task.sleep(for: .milliseconds(10))
        let baseline = Self.descriptors()
        let ledger = try await Ledger.open(at: store, options: TortureCommand.options())
        try await round(ledger, number: 0)
        let warm = Self.descriptors()
        var afterRounds: [Int] = []
        for number in 1...rounds {
            try await round(ledger, number: number)
            let now = Self.descriptors()
            afterRounds.append(now.count)
            report(now, comparedWith: warm, as: "after round \(number)")
        }
        for index in 0..<handles {
            let session = ledger.session("res-h\(index)")
            if index % 10 == 0 {
                try await session.addItems([TortureCommand.item("handle \(index)")])
            }
            _ = try await session.items(limit: 5)
        }
        var scanned = 0
        for try await _ in try ledger.events(EventFilter(sessionID: "res-w0")) {
            scanned += 1
        }
        _ = try await ledger.search("writer", limit: 5)
        let afterHandles = Self.descriptors()
        report(afterHandles, comparedWith: warm, as: "after the handles")
        try await ledger.close()
        let closed = Self.descriptors()
        report(closed, comparedWith: baseline, as: "after close")
        let roundsText = afterRounds.map(String.init).joined(separator: ",")
        TortureOutput.line(
            "fds baseline=\(baseline.count) warm=\(warm.count) rounds=\(roundsText) "
                + "handles=\(afterHandles.count) closed=\(closed.count) scanned=\(scanned)"
        )
        return 0
    }

    private func round(_ ledger: Ledger, number: Int) async throws {
        let writes = max(1, opsPerRound / 2 / writers)
        let reads = max(1, opsPerRound / 2 / readers)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    let session = ledger.session("res-w\(writer)")
                    for call in 0..<writes {
                        try await session.addItems([
                            TortureCommand.item("writer \(writer) round \(number) call \(call)")
                        ])
                    }
                }
            }
            for reader in 0..<readers {
                group.addTask {
                    var random = TortureRandom(seed: UInt64(number * 100 + reader))
                    for _ in 0..<reads {
                        _ = try await ledger.session("res-w\(random.below(writers))").items(limit: 10)
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// This process's descriptors, without the timers of the Swift runtime's dispatch: it
    /// makes one `timerfd` per clock and priority the first time a timer of that kind is armed,
    /// which under load can happen after the baseline (a full `make test` run saw one appear
    /// after close). Nothing in AgentLedger makes a timerfd, so none of them is the store's.
    private static func descriptors() -> [Int32: String] {
        ProcessFigures.descriptors().filter { !$0.value.hasPrefix("anon_inode:[timerfd]") }
    }

    private func report(_ now: [Int32: String], comparedWith before: [Int32: String], as moment: String) {
        for (descriptor, target) in now.sorted(by: { $0.key < $1.key }) where before[descriptor] != target {
            TortureOutput.line("extra \(descriptor) \(target) (\(moment))")
        }
    }
}
