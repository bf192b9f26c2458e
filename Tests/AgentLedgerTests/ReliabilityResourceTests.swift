import AgentLedger
import AgentLedgerTestSupport
import Foundation
import Testing

/// Descriptors: 30 writers and 10 readers for a fixed number of operations, 1,000 session
/// handles made and dropped; the count stays constant after warm-up and returns to its baseline
/// after `close()`. Measured twice: in a child process (its whole descriptor table, undisturbed
/// by other tests) and in the test process (only the descriptors of the test's own store).
@Suite("Reliability: descriptors", .timeLimit(.minutes(5)))
struct ReliabilityResourceTests {
    @Test("in a child process: the descriptor count is constant after warm-up and back to its baseline after close")
    func descriptorsInChild() async throws {
        let binary = try ReliabilityExecutables.ledgerTorture()
        let directory = try TemporaryDirectory(prefix: "reliability-fds")
        defer { directory.remove() }
        let child = try ReliabilityChildProcess(
            executable: binary,
            arguments: [
                "resources", "--store", directory.path + "/store", "--writers", "30", "--readers", "10", "--ops",
                "3000",
                "--rounds", "3", "--handles", "1000",
            ]
        )
        let termination = await child.waitForExit(timeout: .seconds(240))
        #expect(termination == .exited(0), "\(child.lines.suffix(5)) \(child.standardError)")
        let summary = try #require(child.lines.first { $0.hasPrefix("fds ") }, "\(child.lines)")
        var fields: [String: String] = [:]
        for field in summary.split(separator: " ").dropFirst() {
            let parts = field.split(separator: "=", maxSplits: 1)
            if parts.count == 2 {
                fields[String(parts[0])] = String(parts[1])
            }
        }
        let warm = try #require(fields["warm"])
        let rounds = (fields["rounds"] ?? "").split(separator: ",").map(String.init)
        #expect(rounds.count == 3 && rounds.allSatisfy { $0 == warm }, "\(summary)")
        #expect(fields["handles"] == warm, "\(summary)")
        #expect(fields["closed"] == fields["baseline"], "\(summary)")
        let extras = child.lines.filter { $0.hasPrefix("extra ") }
        #expect(extras.isEmpty, "\(extras)")
        print("RELIABILITY descriptors (child process, 30 writers, 10 readers, 1,000 handles): \(summary)")
    }

    @Test("in this process: the store's own descriptors are constant after warm-up and all closed after close")
    func descriptorsOfTheStore() async throws {
        let directory = try TemporaryDirectory(prefix: "reliability-fds-here")
        defer { directory.remove() }
        let store = directory.path + "/store"
        try FileManager.default.createDirectory(atPath: store, withIntermediateDirectories: false)
        let baseline = ReliabilityProcFS.descriptors(under: store).count
        let ledger = try await Ledger.open(at: store, options: LedgerOptions(durability: .none))
        func round(_ number: Int) async throws {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<30 {
                    group.addTask {
                        for call in 0..<20 {
                            try await ledger.session("w\(writer)").addItems([ItemFactory.user("r\(number) c\(call)")])
                        }
                    }
                }
                for reader in 0..<10 {
                    group.addTask {
                        for call in 0..<40 {
                            _ = try await ledger.session("w\((reader + call) % 30)").items(limit: 10)
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        try await round(0)
        let warm = ReliabilityProcFS.descriptors(under: store)
        var counts: [Int] = []
        for number in 1...3 {
            try await round(number)
            counts.append(ReliabilityProcFS.descriptors(under: store).count)
        }
        for index in 0..<1000 {
            let session = ledger.session("handle-\(index)")
            if index % 20 == 0 {
                try await session.addItems([ItemFactory.user("handle \(index)")])
            }
            _ = try await session.items(limit: 3)
        }
        var scanned = 0
        for try await _ in try ledger.events(EventFilter(sessionID: "w0")) {
            scanned += 1
        }
        let afterHandles = ReliabilityProcFS.descriptors(under: store).count
        try await ledger.close()
        let closed = ReliabilityProcFS.descriptors(under: store)
        #expect(counts.allSatisfy { $0 == warm.count }, "warm \(warm.count), rounds \(counts): \(warm.values.sorted())")
        #expect(afterHandles == warm.count, "after the handles \(afterHandles), warm \(warm.count)")
        #expect(closed.count == baseline, "still open after close: \(closed.values.sorted())")
        print(
            "RELIABILITY descriptors (this process, the store's only): baseline \(baseline), warm \(warm.count), "
                + "rounds \(counts), after 1,000 handles \(afterHandles), after close \(closed.count); scanned \(scanned) events"
        )
    }
}
