import AgentLedger
import AgentLedgerTestSupport
import Foundation
import Synchronization
import Testing

/// Many tasks at once (DESIGN.md, "one owner per resource"): 30 writers and 10 readers across 3
/// sessions keep every acknowledged item in per-writer order, and the number of open file
/// descriptors does not grow with load; the property test with concurrent tasks on distinct
/// sessions.
@Suite("Concurrency", .serialized)
struct ConcurrencyTests {
    /// Set once every writer has finished.
    final class Flag: Sendable {
        private let value = Atomic<Bool>(false)

        var isSet: Bool { value.load(ordering: .acquiring) }

        func set() {
            value.store(true, ordering: .releasing)
        }
    }

    static let writerCount = 30
    static let readerCount = 10
    static let sessions = ["s0", "s1", "s2"]

    /// The targets of this process's open file descriptors, by number (`/proc/self/fd`).
    static func descriptors() -> [Int: String] {
        var result: [Int: String] = [:]
        let directory = "/proc/self/fd"
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            guard let number = Int(entry) else {
                continue
            }
            result[number] =
                (try? FileManager.default.destinationOfSymbolicLink(atPath: directory + "/" + entry)) ?? "?"
        }
        return result
    }

    /// The descriptors open on files of the store at `path`.
    static func storeDescriptors(_ path: String) -> [String] {
        descriptors().values.filter { $0.hasPrefix(path + "/") }.sorted()
    }

    /// The number of this process's descriptors, leaving out files of other tests' temporary
    /// directories (suites run in parallel): `/proc/self/fd` without what this test cannot own.
    static func descriptorCount(excludingOthersOf path: String) -> Int {
        let temporary = FileManager.default.temporaryDirectory.path
        return descriptors().values.count { target in
            !(target.hasPrefix(temporary + "/") && !target.hasPrefix(path + "/"))
        }
    }

    /// Waits up to `seconds` for `measure` to give `expected` (descriptors close on other
    /// threads a moment later) and returns the last measurement.
    static func settle(_ expected: Int, seconds: Double = 10, _ measure: () -> Int) async throws -> Int {
        let deadline = Date().addingTimeInterval(seconds)
        var value = measure()
        while value != expected && Date() < deadline {
            try await Task.sleep(for: .milliseconds(50))
            value = measure()
        }
        return value
    }

    /// `w<writer>-<index>` as a user item, or as an assistant item for odd indexes.
    static func item(writer: Int, index: Int) -> SessionItem {
        index.isMultiple(of: 2)
            ? ItemFactory.user("w\(writer)-\(index)") : ItemFactory.assistant("w\(writer)-\(index)")
    }

    /// The writer and index of an item made by ``item(writer:index:)``.
    static func origin(_ item: SessionItem) -> (writer: Int, index: Int)? {
        let value = item.value
        let text = value["content"]?.stringValue ?? value["content"]?[0]?["text"]?.stringValue
        guard let text, text.hasPrefix("w") else {
            return nil
        }
        let parts = text.dropFirst().split(separator: "-")
        guard parts.count == 2, let writer = Int(parts[0]), let index = Int(parts[1]) else {
            return nil
        }
        return (writer, index)
    }

    /// 30 writers (each adding `perWriter` items to session `writer % 3`, one or two per call,
    /// awaiting each) and 10 readers of the latest items until the writers finish. Returns the
    /// acknowledged items per writer and the readers' failures.
    static func workload(
        _ ledger: Ledger,
        perWriter: Int,
        indexBase: Int
    ) async throws -> (
        acknowledged: [Int: [SessionItem]], failures: [String]
    ) {
        try await withThrowingTaskGroup(of: (writer: Int?, items: [SessionItem], failures: [String]).self) { group in
            for writer in 0..<writerCount {
                group.addTask {
                    let session = ledger.session(sessions[writer % sessions.count])
                    var acknowledged: [SessionItem] = []
                    var index = indexBase
                    while index < indexBase + perWriter {
                        let count = min(index % 5 == 0 ? 2 : 1, indexBase + perWriter - index)
                        let items = (index..<index + count).map { item(writer: writer, index: $0) }
                        try await session.addItems(items)
                        acknowledged += items
                        index += count
                    }
                    return (writer, acknowledged, [])
                }
            }
            let done = Flag()
            for reader in 0..<readerCount {
                group.addTask {
                    var failures: [String] = []
                    var reads = 0
                    while (!done.isSet || reads < 5) && !Task.isCancelled {
                        let id = sessions[(reader + reads) % sessions.count]
                        do {
                            let items = try await ledger.session(id).items(limit: 10)
                            if items.count > 10 {
                                failures.append("reader \(reader): \(items.count) items for limit 10")
                            }
                            // Within one read, each writer's items are in its order.
                            var last: [Int: Int] = [:]
                            for origin in items.compactMap(origin) {
                                if let previous = last[origin.writer], previous >= origin.index {
                                    failures.append("reader \(reader): w\(origin.writer) out of order in \(id)")
                                }
                                last[origin.writer] = origin.index
                            }
                            if reads.isMultiple(of: 7) {
                                _ = try await ledger.session(id).listBranches()
                                _ = try await ledger.session(id).conversationTurns()
                            }
                        } catch {
                            failures.append("reader \(reader): \(error)")
                        }
                        reads += 1
                    }
                    return (nil, [], failures)
                }
            }
            var acknowledged: [Int: [SessionItem]] = [:]
            var failures: [String] = []
            var writersLeft = writerCount
            for try await result in group {
                if let writer = result.writer {
                    acknowledged[writer] = result.items
                    writersLeft -= 1
                    if writersLeft == 0 {
                        done.set()
                    }
                }
                failures += result.failures
            }
            return (acknowledged, failures)
        }
    }

    @Test(
        "30 writers and 10 readers on 3 sessions: every acknowledged item in per-writer order; descriptors do not grow"
    )
    func writersAndReaders() async throws {
        // Another store first, so that process-wide resources created on first use (the
        // dispatch runtime's descriptors, SQLite's globals) exist before the baseline.
        let primer = try TemporaryStore()
        let primed = try await primer.open()
        try await primed.session("p").addItems([ItemFactory.user("prime")])
        _ = try await primed.session("p").items()
        try await primed.close()
        primer.remove()

        let store = try TemporaryStore()
        defer { store.remove() }
        let baseline = Self.descriptorCount(excludingOthersOf: store.path)
        #expect(Self.storeDescriptors(store.path).isEmpty)
        let ledger = try await store.open()

        // Warm-up: every reader connection and the writer's files get opened.
        let warmUp = try await Self.workload(ledger, perWriter: 4, indexBase: 0)
        #expect(warmUp.failures.isEmpty, "\(warmUp.failures.prefix(5))")
        let afterWarmUp = Self.descriptorCount(excludingOthersOf: store.path)
        let storeFilesAfterWarmUp = Self.storeDescriptors(store.path)
        #expect(!storeFilesAfterWarmUp.isEmpty)

        let run = try await Self.workload(ledger, perWriter: 40, indexBase: 4)
        #expect(run.failures.isEmpty, "\(run.failures.prefix(5))")

        // Each session holds exactly the acknowledged items, each writer's in its order.
        for (position, id) in Self.sessions.enumerated() {
            let items = try await ledger.session(id).items()
            let writers = (0..<Self.writerCount).filter { $0 % Self.sessions.count == position }
            let expectedCount = writers.reduce(0) { $0 + warmUp.acknowledged[$1]!.count + run.acknowledged[$1]!.count }
            #expect(items.count == expectedCount, "\(id)")
            for writer in writers {
                let own = items.filter { Self.origin($0)?.writer == writer }
                #expect(own == warmUp.acknowledged[writer]! + run.acknowledged[writer]!, "\(id), writer \(writer)")
            }
            #expect(items.allSatisfy { Self.origin($0).map { writers.contains($0.writer) } == true }, "\(id)")
        }
        #expect(try await ledger.headSequence() > 0)
        #expect(try await ledger.verifyReadModel() == [])

        // Other suites open and close files in this process at the same time, so the
        // process-wide count is checked in a process of its own (ReliabilityResourceTests);
        // here, exactly, the descriptors on this store's files.
        _ = afterWarmUp
        _ = baseline
        #expect(Self.storeDescriptors(store.path) == storeFilesAfterWarmUp)

        try await ledger.close()
        #expect(Self.storeDescriptors(store.path) == [], "no file of the store stays open after close")
    }

    /// With `fsync`, adds and usage records take the overlapped group commit, whose callers
    /// resume before its SQLite COMMIT: every read of the property test checks they still see
    /// their own writes.
    @Test(
        "the property test with concurrent tasks, each on its own session",
        arguments: [(101, .none), (202, .fsync)] as [(UInt64, Durability)]
    )
    func concurrentProperty(seed: UInt64, durability: Durability) async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let ledger = try await Ledger.open(at: store.path, options: PropertyTests.options(durability: durability))
        let taskCount = 6
        let steps = max(PropertyTests.steps / 2, 20)
        let results = try await withThrowingTaskGroup(of: (String, PropertyTests.RunResult).self) { group in
            for task in 0..<taskCount {
                group.addTask {
                    let id = "task\(task)"
                    let result = try await PropertyTests.run(
                        ledger: ledger,
                        sessions: [id],
                        seed: seed &* 1000 &+ UInt64(task),
                        steps: steps,
                        checkHead: false,
                        keepHistory: false
                    )
                    return (id, result)
                }
            }
            var results: [String: PropertyTests.RunResult] = [:]
            for try await (id, result) in group {
                results[id] = result
            }
            return results
        }
        #expect(results.values.allSatisfy { !$0.failed }, "seed \(seed)")
        let events = results.values.reduce(0) { $0 + $1.events }
        #expect(try await ledger.headSequence() == events, "seed \(seed): every event the models expect, no other")

        // Every session's events are in the log in its task's order, and a rebuild answers the same.
        var models: [String: SessionModel] = [:]
        for (id, result) in results {
            models[id] = result.models[id]
        }
        let before = try await PropertyTests.readAll(ledger, models)
        try await ledger.close()
        for suffix in ["", "-wal", "-shm"] {
            try? FileManager.default.removeItem(atPath: store.path + "/views.sqlite" + suffix)
        }
        let reopened = try await Ledger.open(at: store.path, options: PropertyTests.options())
        let after = try await PropertyTests.readAll(reopened, models)
        for (id, model) in models {
            expectSameReads(after[id]!, before[id]!, "seed \(seed), \(id) after the rebuild")
            let differences = try await PropertyTests.compare(reopened.session(id), with: model)
            #expect(
                differences.isEmpty,
                "seed \(seed), \(id) after the rebuild:\n\(differences.joined(separator: "\n"))"
            )
            let perSession = try await collect(reopened.events(EventFilter(sessionID: id)))
            #expect(UInt64(perSession.count) == results[id]!.events, "seed \(seed), \(id)")
        }
        try await reopened.close()
    }
}
