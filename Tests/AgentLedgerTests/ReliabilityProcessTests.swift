import AgentLedger
import AgentLedgerTestSupport
import Foundation
import Testing

/// Several processes on one store: two writers racing to open it, and read-only readers in
/// other processes while a writer appends.
@Suite("Reliability: processes sharing a store", .timeLimit(.minutes(5)))
struct ReliabilityProcessTests {
    @Test("two writers race to open one store: exactly one wins, the other exits 75 naming the winner's pid")
    func writersRace() async throws {
        let binary = try ReliabilityExecutables.ledgerTorture()
        let directory = try TemporaryDirectory(prefix: "reliability-race")
        defer { directory.remove() }
        let store = directory.path + "/store"
        let ledger = try await Ledger.open(at: store, options: LedgerOptions(durability: .none))
        try await ledger.close()
        let rounds = 8
        var namedWinner = 0
        for round in 0..<rounds {
            let startAt = Int64(Date().timeIntervalSince1970 * 1000) + 400
            let release = directory.path + "/release-\(round)"
            let children = try (0..<2).map { _ in
                try ReliabilityChildProcess(
                    executable: binary,
                    arguments: ["race", "--store", store, "--start-at", "\(startAt)", "--hold-until-file", release]
                )
            }
            // The winner holds the store until the other child has ended (or both say they won):
            // a hold of a fixed time made a second winner of a child that a busy machine started
            // after the first had already closed the store.
            let deadline = ContinuousClock.now + .seconds(60)
            while children.allSatisfy({ $0.termination == nil }),
                children.count(where: { $0.lines.first?.hasPrefix("won ") == true }) < 2,
                ContinuousClock.now < deadline
            {
                try await Task.sleep(for: .milliseconds(5))
            }
            #expect(FileManager.default.createFile(atPath: release, contents: nil))
            var terminations: [ReliabilityChildProcess.Termination?] = []
            for child in children {
                terminations.append(await child.waitForExit(timeout: .seconds(60)))
            }
            let winners = children.indices.filter { terminations[$0] == .exited(0) }
            let losers = children.indices.filter { terminations[$0] == .exited(75) }
            #expect(
                winners.count == 1 && losers.count == 1,
                "round \(round): \(terminations) \(children.map(\.standardError))"
            )
            guard winners.count == 1, losers.count == 1 else {
                continue
            }
            let winner = children[winners[0]]
            let loser = children[losers[0]]
            #expect(winner.lines.first == "won \(winner.processID)", "round \(round): \(winner.lines)")
            let message = loser.lines.first { $0.hasPrefix("locked ") } ?? ""
            #expect(message.contains("locked by another process (pid "), "round \(round): \(loser.lines)")
            if message.contains("pid \(winner.processID))") {
                namedWinner += 1
            } else {
                Issue.record(
                    "round \(round): the loser names another pid than the winner's \(winner.processID): \(message)"
                )
            }
        }
        let reopened = try await Ledger.open(at: store, options: LedgerOptions(durability: .none))
        #expect(try await reopened.session("race").items().count == rounds)
        try await reopened.close()
        print(
            "RELIABILITY writer race: \(rounds) rounds, one winner each, the loser named the winner's pid \(namedWinner) times"
        )
    }

    @Test("read-only readers in other processes keep reading while a writer appends, and never see a partial batch")
    func readersNeverSeePartialBatches() async throws {
        let binary = try ReliabilityExecutables.ledgerTorture()
        let directory = try TemporaryDirectory(prefix: "reliability-readers")
        defer { directory.remove() }
        let store = directory.path + "/store"
        // The writer appends until the readers are done (a slow machine gives them longer).
        let stop = directory.path + "/stop"
        let batch = 7
        // The store exists before the readers open it read-only.
        let ledger = try await Ledger.open(at: store, options: LedgerOptions(durability: .none))
        try await ledger.session("watched").addItems(
            (0..<batch).map { ItemFactory.user("b=0 i=\($0)/\(batch)") }
        )
        try await ledger.close()
        let writer = try ReliabilityChildProcess(
            executable: binary,
            arguments: [
                "batches", "--store", store, "--session", "watched", "--batch", "\(batch)", "--until-file", stop,
            ]
        )
        #expect(await writer.waitForLine(prefix: "open ", timeout: .seconds(60)) != nil, "\(writer.standardError)")
        let readers = try (0..<3).map { _ in
            try ReliabilityChildProcess(
                executable: binary,
                arguments: [
                    "read", "--store", store, "--session", "watched", "--batch", "\(batch)", "--duration-ms", "1500",
                    "--min-distinct", "3",
                ]
            )
        }
        var figures: [String] = []
        for reader in readers {
            let termination = await reader.waitForExit(timeout: .seconds(150))
            let summary = reader.lines.first { $0.hasPrefix("reads ") } ?? ""
            #expect(termination == .exited(0), "reader: \(reader.lines.suffix(6)) \(reader.standardError)")
            let fields = Dictionary(
                uniqueKeysWithValues: summary.split(separator: " ").dropFirst().compactMap { field -> (String, Int)? in
                    let parts = field.split(separator: "=")
                    return parts.count == 2 ? (String(parts[0]), Int(parts[1]) ?? -1) : nil
                }
            )
            #expect(fields["violations"] == 0, "\(summary)")
            #expect((fields["distinct"] ?? 0) > 2, "the reader did not see the writer progress: \(summary)")
            #expect((fields["events"] ?? 0) > 0, "\(summary)")
            figures.append(summary)
        }
        #expect(FileManager.default.createFile(atPath: stop, contents: nil))
        let ended = await writer.waitForExit(timeout: .seconds(60))
        #expect(ended == .exited(0), "writer: \(writer.lines) \(writer.standardError)")
        let reopened = try await Ledger.open(at: store, options: LedgerOptions(durability: .none))
        let items = try await reopened.session("watched").items()
        #expect(items.count % batch == 0)
        #expect(try await reopened.verifyReadModel() == [])
        try await reopened.close()
        print(
            "RELIABILITY readers in other processes: writer \(writer.lines.last ?? ""); readers: \(figures.joined(separator: "; "))"
        )
    }
}
