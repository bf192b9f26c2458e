import AgentLedger
import AgentLedgerTestSupport
import Foundation
import GRDB
import Synchronization
import Testing

/// Read model faults: `views.sqlite` deleted, truncated (at every page boundary), or replaced
/// with garbage while the store is closed; and a read model left behind the log, as a crash
/// between the log's fsync and the SQLite commit leaves it.
@Suite("Reliability: read model faults", .timeLimit(.minutes(5)))
struct ReliabilityReadModelTests {
    /// Everything the read model answers about the rich fixture store, as comparable text.
    private func answers(_ ledger: Ledger) async throws -> [String] {
        var lines: [String] = []
        lines.append("head \(try await ledger.headSequence())")
        for summary in try await ledger.sessions() {
            lines.append("session \(summary)")
        }
        for number in 0..<3 {
            let session = ledger.session("rich-\(number)")
            lines.append("items \(number) \(try await session.items())")
            lines.append("branch \(number) \(try await session.currentBranch())")
            lines.append("branches \(number) \(try await session.listBranches())")
            lines.append("turns \(number) \(try await session.conversationTurns())")
            lines.append("by turns \(number) \(try await session.conversationByTurns())")
            lines.append("tools \(number) \(try await session.toolUsage())")
            lines.append("usage \(number) \(String(describing: try await session.sessionUsage()))")
            lines.append("turn usage \(number) \(try await session.turnUsage())")
            let hits = try await session.search("weather OR sunny", limit: 50)
            lines.append("search \(number) \(hits.map { "\($0.sequence) \($0.item.json)" }.sorted())")
            lines.append("as of 10 \(number) \(try await session.items(asOf: .sequence(10)))")
        }
        return lines
    }

    @Test(
        "views.sqlite deleted, emptied, truncated at every page boundary, or replaced by garbage: the next open rebuilds it and answers as before"
    )
    func damagedReadModel() async throws {
        let directory = try TemporaryDirectory(prefix: "reliability-views")
        defer { directory.remove() }
        let pristine = directory.path + "/pristine"
        try await ReliabilityFixture.buildRich(at: pristine)
        let ledger = try await Ledger.open(at: pristine, options: LedgerOptions(durability: .none))
        // A last write, so that the WAL holds recent commits when the crash image is taken.
        try await ledger.session("rich-1").addItems([ItemFactory.user("the last write before the crash image")])
        let expected = try await answers(ledger)
        // A crash image: the store copied while open and idle, its WAL holding recent commits.
        let crashed = directory.path + "/crashed"
        try LogFileBytes.copyDirectory(pristine, to: crashed)
        try await ledger.close()
        for suffix in ["-wal", "-shm"] {
            try? FileManager.default.removeItem(atPath: pristine + "/views.sqlite" + suffix)
        }
        let model = try LogFileBytes.read(pristine + "/views.sqlite")
        // Each damage is tried on the closed store (views.sqlite alone) and on the crash image
        // (views.sqlite damaged, its WAL left as the crash left it).
        let walBytes = (try? LogFileBytes.size(crashed + "/views.sqlite-wal")) ?? 0
        var random = SeededRandom(seed: 0x5E1F)
        var cases: [(String, (String) throws -> Void)] = [
            ("deleted", { ReliabilityHelpers.removeReadModel($0) }),
            ("emptied", { try LogFileBytes.write([], to: $0 + "/views.sqlite") }),
            ("cut to 100 bytes", { try LogFileBytes.truncate($0 + "/views.sqlite", to: 100) }),
        ]
        let pageSize = 4096
        for page in 1..<(model.count / pageSize) {
            // The crash image's file can be shorter than the closed store's (pages still in its
            // WAL, or written after the image was taken): it is cut where it ends at most.
            cases.append(
                (
                    "cut to \(page) pages",
                    { store in
                        let path = store + "/views.sqlite"
                        try LogFileBytes.truncate(path, to: min(page * pageSize, try LogFileBytes.size(path)))
                    }
                )
            )
        }
        let garbage = (0..<model.count).map { _ in UInt8.random(in: 0...255, using: &random) }
        cases.append(("replaced by garbage", { try LogFileBytes.write(garbage, to: $0 + "/views.sqlite") }))
        var header = model
        for index in 0..<100 {
            header[index] = UInt8.random(in: 0...255, using: &random)
        }
        cases.append(
            ("its first 100 bytes garbage", { [header] in try LogFileBytes.write(header, to: $0 + "/views.sqlite") })
        )
        var rebuilt = 0
        var failures: [(name: String, walKept: Bool, error: String)] = []
        for (damageName, damage) in cases {
            for keepWAL in walBytes > 0 ? [true, false] : [false] {
                let name = damageName + (keepWAL ? " (crash image, WAL kept)" : "")
                let store = directory.path + "/case"
                try? FileManager.default.removeItem(atPath: store)
                try LogFileBytes.copyDirectory(keepWAL ? crashed : pristine, to: store)
                let log = try ReliabilityHelpers.logFiles(store)
                try damage(store)
                let capture = ReliabilityLogCapture()
                do {
                    let reopened = try await Ledger.open(
                        at: store,
                        options: LedgerOptions(durability: .none, logger: capture.logger)
                    )
                    if capture.messages.contains(where: { $0.contains("rebuilding the read model") }) {
                        rebuilt += 1
                    }
                    #expect(try ReliabilityHelpers.logFiles(store) == log, "views.sqlite \(name): the log changed")
                    let got = try await answers(reopened)
                    #expect(
                        got == expected,
                        "views.sqlite \(name): answers differ: \(zip(got, expected).first { $0.0 != $0.1 } ?? ("", ""))"
                    )
                    #expect(try await reopened.verifyReadModel() == [], "views.sqlite \(name)")
                    try await reopened.session("rich-0").addItems([ItemFactory.user("still writable")])
                    try await reopened.close()
                } catch {
                    failures.append((name, keepWAL, "\(error)"))
                }
            }
        }
        print(
            "RELIABILITY read model damage: \(cases.count) damages (\(model.count / pageSize) pages), each on the closed "
                + "store and on a crash image with a \(walBytes)-byte WAL: \(rebuilt) rebuilt with a warning, "
                + "\(failures.count) failed"
        )
        for failure in failures {
            print("RELIABILITY read model damage failure: \(failure.name): \(failure.error.prefix(160))")
        }
        let withoutWAL = failures.filter { !$0.walKept }
        #expect(withoutWAL.isEmpty, "damaged read models not rebuilt: \(withoutWAL.map(\.name))")
        let withWAL = failures.filter(\.walKept)
        #expect(walBytes > 0, "the crash image has no WAL")
        #expect(withWAL.isEmpty, "damaged read models (WAL kept) not rebuilt: \(withWAL.map(\.name))")
    }

    /// Runs the `sqlite3` shell on the read model of `store` (with a busy timeout).
    private func sqlite(_ store: String, _ sql: String) async throws {
        let child = try ReliabilityChildProcess(
            executable: "/usr/bin/sqlite3",
            arguments: ["-cmd", ".timeout 10000", store + "/views.sqlite", sql]
        )
        let termination = await child.waitForExit(timeout: .seconds(30))
        #expect(termination == .exited(0), "sqlite3 \(sql): \(child.standardError)")
    }

    /// Options with a switch the test flips from outside: while it is on, every item row makes a
    /// deferred foreign key violation, so the batch's SQLite COMMIT fails after the log's fsync.
    static let faultAtCommit = LedgerOptions(
        durability: .fsync,
        extraMigrations: [
            (
                "9100_fault_at_commit",
                """
                CREATE TABLE fault_switch (armed INTEGER NOT NULL);
                INSERT INTO fault_switch VALUES (0);
                CREATE TABLE fault_parent (id INTEGER PRIMARY KEY);
                CREATE TABLE fault_child (parent INTEGER REFERENCES fault_parent(id) DEFERRABLE INITIALLY DEFERRED);
                CREATE TRIGGER fault_at_commit AFTER INSERT ON item WHEN (SELECT armed FROM fault_switch) = 1
                BEGIN INSERT INTO fault_child VALUES (42); END;
                """
            )
        ]
    )

    @Test(
        "a failure between the log's fsync and the SQLite commit (injected: a deferred foreign key that fails at COMMIT) fails the batch, every add fails alike while the fault stays armed, the store takes writes again once it is disarmed, and reopens, even with the fault armed, holding exactly the acknowledged events",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3"), "needs the sqlite3 shell")
    )
    func commitFailureAfterFsync() async throws {
        let store = try TemporaryStore(prefix: "reliability-commit")
        defer { store.remove() }
        let options = Self.faultAtCommit
        let ledger = try await Ledger.open(at: store.path, options: options)
        let session = ledger.session("commit")
        let first = [ItemFactory.user("acknowledged")]
        try await session.addItems(first)
        try await sqlite(store.path, "UPDATE fault_switch SET armed = 1;")
        let failed = await ReliabilityHelpers.error {
            try await session.addItems([ItemFactory.user("failed at commit")])
        }
        #expect(failed?.code == .sqlite, "\(String(describing: failed))")
        // The log recovers in place after each failure; the next add fails at its own COMMIT.
        let refused = await ReliabilityHelpers.error { try await session.addItems([ItemFactory.user("refused")]) }
        #expect(refused?.code == .sqlite, "\(String(describing: refused))")
        #expect(try await session.items() == first, "the failed batch shows in the read model")
        try await sqlite(store.path, "UPDATE fault_switch SET armed = 0;")
        let second = [ItemFactory.user("after disarming")]
        try await session.addItems(second)
        #expect(try await session.items() == first + second)
        try await sqlite(store.path, "UPDATE fault_switch SET armed = 1;")
        try await ledger.close()
        // The batch was not acknowledged ahead of its COMMIT (the writer saw the deferred
        // violation), so it left the log: nothing to replay that would fail again.
        let armed = try await Ledger.open(at: store.path, options: options)
        #expect(try await armed.session("commit").items() == first + second)
        try await armed.close()
        try await sqlite(store.path, "UPDATE fault_switch SET armed = 0;")
        let reopened = try await Ledger.open(at: store.path, options: options)
        let events = try await ReliabilityHelpers.events(reopened)
        let items = try await reopened.session("commit").items()
        #expect(try await reopened.verifyReadModel() == [])
        try await reopened.close()
        print(
            "RELIABILITY injected commit failure after fsync: the caller got \(failed?.code.name ?? "no error"); reopened with \(events.count) events"
        )
        #expect(
            events.count == 2 && items == first + second,
            "the log holds \(events.count) events, 2 were acknowledged"
        )
    }

    @Test(
        "a commit that fails after the fsync while 16 writers keep adding fails its batch and every later call, and the reopened store holds exactly the acknowledged items",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3"), "needs the sqlite3 shell")
    )
    func commitFailureUnderLoad() async throws {
        let store = try TemporaryStore(prefix: "reliability-underload")
        defer { store.remove() }
        let options = Self.faultAtCommit
        let ledger = try await Ledger.open(at: store.path, options: options)
        final class Tally: Sendable {
            let acknowledged = Mutex<Set<String>>([])
            let failedCodes = Mutex<[LedgerError.Code]>([])
        }
        let tally = Tally()
        let writers = Task {
            await withTaskGroup(of: Void.self) { group in
                for writer in 0..<16 {
                    let session = ledger.session("w\(writer % 4)")
                    group.addTask {
                        for call in 0..<100_000 {
                            let text = "writer \(writer) call \(call)"
                            do {
                                try await session.addItems([ItemFactory.user(text)])
                                tally.acknowledged.withLock { _ = $0.insert(text) }
                            } catch {
                                tally.failedCodes.withLock { $0.append((error as? LedgerError)?.code ?? .io) }
                                return
                            }
                        }
                    }
                }
            }
        }
        while tally.acknowledged.withLock({ $0.count }) < 200 {
            try await Task.sleep(for: .milliseconds(5))
        }
        try await sqlite(store.path, "UPDATE fault_switch SET armed = 1;")
        await writers.value
        try await ledger.close()
        try await sqlite(store.path, "UPDATE fault_switch SET armed = 0;")

        let codes = tally.failedCodes.withLock { $0 }
        #expect(codes.count == 16, "every writer stops at an error")
        #expect(codes.contains(.sqlite), "the batch whose apply failed: \(codes)")
        #expect(codes.allSatisfy { $0 == .sqlite || $0 == .writerFailed }, "\(codes)")
        let reopened = try await Ledger.open(at: store.path, options: options)
        let logged = try await ReliabilityHelpers.events(reopened).flatMap { event -> [String] in
            guard case .itemsAdded(let items) = event.payload else {
                return []
            }
            return items.compactMap(ReliabilityHelpers.content)
        }
        let expected = tally.acknowledged.withLock { $0 }
        #expect(logged.count == Set(logged).count, "no item logged twice")
        #expect(Set(logged) == expected, "log: \(logged.count) items, acknowledged: \(expected.count)")
        #expect(try await reopened.verifyReadModel() == [])
        try await reopened.close()
        print(
            "RELIABILITY commit failure under load (16 writers): \(expected.count) acknowledged, \(logged.count) in the reopened log, errors \(Set(codes.map(\.name)).sorted())"
        )
    }

    @Test(
        "a read model behind a log damaged in the frames it lacks: open refuses with corruptLog and keeps the read model, since only SQLite's refusal of a catch-up rebuilds it"
    )
    func staleReadModelBehindDamage() async throws {
        let directory = try TemporaryDirectory(prefix: "reliability-stale-damage")
        defer { directory.remove() }
        let store = directory.path + "/store"
        let options = LedgerOptions(durability: .fsync, segmentSizeBytes: 4096)
        var ledger = try await Ledger.open(at: store, options: options)
        try await ledger.session("s").addItems([ItemFactory.user("in the stale read model")])
        try await ledger.close()
        let stale = try LogFileBytes.read(store + "/views.sqlite")
        ledger = try await Ledger.open(at: store, options: options)
        // Items of 2 KB of random hex, one frame each: several sealed segments, which recovery
        // does not read.
        for index in 0..<16 {
            let text = (0..<56).map { _ in UUID().uuidString }.joined()
            try await ledger.session("s").addItems([ItemFactory.user("item \(index) \(text)")])
        }
        try await ledger.close()
        let segments = try ReliabilityHelpers.segments(store)
        #expect(segments.count >= 3, "\(segments)")
        // A byte of the second segment's first frame payload (segment header 32, frame header 64).
        try LogFileBytes.flipBit(store + "/log/" + segments[1], at: 32 + 64 + 10)
        ReliabilityHelpers.removeReadModel(store)
        try LogFileBytes.write(stale, to: store + "/views.sqlite")

        let capture = ReliabilityLogCapture()
        var damagedOptions = options
        damagedOptions.logger = capture.logger
        let refused = await ReliabilityHelpers.error { _ = try await Ledger.open(at: store, options: damagedOptions) }
        #expect(refused?.code == .corruptLog, "\(String(describing: refused))")
        #expect(refused?.location?.segment == segments[1], "\(String(describing: refused))")
        #expect(capture.messages.contains { $0.contains("catching up the read model") }, "\(capture.messages)")
        #expect(!capture.messages.contains { $0.contains("rebuilding") }, "\(capture.messages)")
        #expect(
            FileManager.default.fileExists(atPath: store + "/views.sqlite"),
            "the read model must stay for the damage to be repaired"
        )
    }

    /// Rewrites with `change` the bytes that `span` (given the page size) picks out of the root
    /// page of `name`, a table or index of the closed read model at `path`.
    private static func damageRootPage(
        of name: String,
        in path: String,
        span: (_ pageSize: Int) -> Range<Int>,
        change: (inout UInt8) -> Void
    ) async throws {
        let (root, pageSize) = try await DatabaseQueue(path: path).read { db in
            (
                try Int.fetchOne(db, sql: "SELECT rootpage FROM sqlite_master WHERE name = ?", arguments: [name]) ?? 0,
                try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 0
            )
        }
        try #require(root > 1 && pageSize > 0)
        var bytes = try LogFileBytes.read(path)
        for offset in span(pageSize) {
            change(&bytes[(root - 1) * pageSize + offset])
        }
        try LogFileBytes.write(bytes, to: path)
    }

    @Test("a damaged page of the item table: queries say the read model is damaged and how to rebuild it")
    func damagedPage() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        var ledger = try await store.open()
        let items = (0..<50).map { ItemFactory.user("item \($0)") }
        try await ledger.session("s").addItems(items)
        try await ledger.close()
        // The b-tree page header: its type byte and cell count made nonsense.
        try await Self.damageRootPage(
            of: "item",
            in: store.path + "/views.sqlite",
            span: { _ in 0..<8 },
            change: { $0 = 0x5A }
        )
        ledger = try await store.open()
        let error = await ReliabilityHelpers.error { _ = try await ledger.session("s").items() }
        #expect(error?.code == .sqlite, "\(String(describing: error))")
        #expect(error?.message.contains("the read model is damaged") == true, "\(String(describing: error))")
        #expect(error?.message.contains("agentledger rebuild") == true, "\(String(describing: error))")
        #expect(error?.message.contains("rebuildViews()") == true, "\(String(describing: error))")
        // The deep verification reports it as what it looks for: a read model that differs.
        let differences = try await ledger.verifyReadModel()
        #expect(differences.count == 1 && differences[0].contains("the read model is damaged"), "\(differences)")
        try await ledger.close()
        // What the message advises cures it.
        ledger = try await Ledger.openRebuildingViews(at: store.path, options: LedgerOptions(durability: .none))
        #expect(try await ledger.session("s").items() == items)
        try await ledger.close()
    }

    @Test(
        "a damaged page that no query reads (SQLite's index of its migrations table): the deep verification finds it"
    )
    func damagedPageNoQueryReads() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        var ledger = try await store.open()
        let items = (0..<5).map { ItemFactory.user("item \($0)") }
        try await ledger.session("s").addItems(items)
        try await ledger.close()
        // Everything after the b-tree page header: its cells made nonsense.
        try await Self.damageRootPage(
            of: "sqlite_autoindex_grdb_migrations_1",
            in: store.path + "/views.sqlite",
            span: { 8..<$0 },
            change: { $0 ^= 0x5A }
        )
        ledger = try await store.open()
        #expect(try await ledger.session("s").items() == items, "the rows are intact")
        let differences = try await ledger.verifyReadModel()
        #expect(differences.count == 1, "\(differences)")
        #expect(differences.first?.hasPrefix("the read model is damaged (SQLite's integrity_check: ") == true)
        #expect(differences.first?.contains("agentledger rebuild") == true, "\(differences)")
        try await ledger.close()
        ledger = try await Ledger.openRebuildingViews(at: store.path, options: LedgerOptions(durability: .none))
        #expect(try await ledger.verifyReadModel() == [])
        try await ledger.close()
    }

    @Test("a read model behind the log (a crash between the log's fsync and the SQLite commit) is caught up on open")
    func staleReadModel() async throws {
        let directory = try TemporaryDirectory(prefix: "reliability-stale")
        defer { directory.remove() }
        for variant in ["copied while closed", "copied with its WAL while open"] {
            let store = directory.path + "/" + variant.replacingOccurrences(of: " ", with: "-")
            let backup = store + "-backup"
            try FileManager.default.createDirectory(atPath: backup, withIntermediateDirectories: true)
            var ledger = try await Ledger.open(at: store, options: LedgerOptions(durability: .fsync))
            let session = ledger.session("rich-0")
            try await session.addItems([
                ItemFactory.user("first turn about the weather"), ItemFactory.assistant("sunny"),
            ])
            try await ledger.session("rich-1").addItems([ItemFactory.user("another session")])
            if variant.hasSuffix("while open") {
                for suffix in ["", "-wal"]
                where FileManager.default.fileExists(atPath: store + "/views.sqlite" + suffix) {
                    try LogFileBytes.write(
                        try LogFileBytes.read(store + "/views.sqlite" + suffix),
                        to: backup + "/views.sqlite" + suffix
                    )
                }
                #expect(FileManager.default.fileExists(atPath: backup + "/views.sqlite-wal"), "no WAL to copy")
            }
            try await ledger.close()
            if variant.hasSuffix("while closed") {
                try LogFileBytes.write(try LogFileBytes.read(store + "/views.sqlite"), to: backup + "/views.sqlite")
            }
            // More history the stale copy lacks: every kind of event.
            ledger = try await Ledger.open(at: store, options: LedgerOptions(durability: .fsync))
            let again = ledger.session("rich-0")
            try await again.addItems([
                ItemFactory.user("second turn, weather again"), ItemFactory.functionCall("get_weather"),
            ])
            await again.storeRunUsage(RunUsage(requests: 2, inputTokens: 20, outputTokens: 5, totalTokens: 25))
            _ = try await again.popItem()
            try await again.createBranch(fromTurn: 2, named: "other")
            try await again.addItems([ItemFactory.user("on the branch")])
            try await ledger.session("rich-1").clearSession()
            try await ledger.session("rich-2").addItems([ItemFactory.user("a third session")])
            let expected = try await answers(ledger)
            let head = try await ledger.headSequence()
            try await ledger.close()
            ReliabilityHelpers.removeReadModel(store)
            for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: backup + "/views.sqlite" + suffix) {
                try LogFileBytes.write(
                    try LogFileBytes.read(backup + "/views.sqlite" + suffix),
                    to: store + "/views.sqlite" + suffix
                )
            }
            let capture = ReliabilityLogCapture()
            let reopened = try await Ledger.open(
                at: store,
                options: LedgerOptions(durability: .fsync, logger: capture.logger)
            )
            #expect(
                capture.messages.contains { $0.contains("catching up the read model") },
                "\(variant): \(capture.messages)"
            )
            #expect(
                !capture.messages.contains { $0.contains("rebuilding") },
                "\(variant): rebuilt instead of caught up"
            )
            #expect(try await reopened.headSequence() == head)
            #expect(try await answers(reopened) == expected, "\(variant)")
            #expect(try await reopened.verifyReadModel() == [], "\(variant)")
            try await reopened.close()
        }
    }
}
