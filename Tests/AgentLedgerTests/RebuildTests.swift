import AgentLedgerTestSupport
import Foundation
import GRDB
import Synchronization
import Testing

@testable import AgentLedger

/// Rebuild (issue 5): the read model can be deleted, damaged, rebuilt live or given a new
/// schema, and every query answers exactly as before.
@Suite("Rebuild")
struct RebuildTests {
    /// State the readers of the live-rebuild test share with it.
    final class ReaderState: Sendable {
        let stop = Atomic<Bool>(false)
        let rebuilding = Atomic<Bool>(false)
        let readsDuringRebuild = Atomic<Int>(0)
        let progress = Mutex<[RebuildProgress]>([])
    }

    /// A test-only migration: a view over the item rows, and a table a trigger fills.
    static let extraMigrations: [(name: String, sql: String)] = [
        (
            "9001_test_branch_sizes",
            """
            CREATE VIEW test_branch_sizes AS
                SELECT session, branch, count(*) AS items FROM item WHERE removed_seq IS NULL GROUP BY session, branch;
            CREATE TABLE test_added (seq INTEGER NOT NULL);
            CREATE TRIGGER test_added_row AFTER INSERT ON item BEGIN INSERT INTO test_added VALUES (new.added_seq); END;
            """
        )
    ]

    /// Writes a varied history: the time-travel script (sessions a, b) and random operations
    /// (sessions alpha, beta, gamma). Returns the branch names used per session.
    static func writeHistory(_ ledger: Ledger, seed: UInt64 = 11, steps: Int = 250) async throws -> [String: [String]] {
        for step in TimeTravelTests.script {
            try await step.run(ledger)
        }
        let result = try await PropertyTests.run(
            ledger: ledger,
            sessions: ["alpha", "beta", "gamma"],
            seed: seed,
            steps: steps,
            checkHead: true,
            keepHistory: false
        )
        #expect(result.failed == false, "the random history agrees with the model")
        var names = result.models.mapValues { $0.usedBranchNames + ["never made"] }
        for id in TimeTravelTests.sessions {
            names[id] = TimeTravelTests.branches
        }
        return names
    }

    /// Every read of every session now and at a few past positions, the store-wide listings
    /// (sessions, stats without file sizes, search) and the head.
    static func everything(_ ledger: Ledger, _ names: [String: [String]]) async throws -> [String: AnyHashable] {
        var all: [String: AnyHashable] = [:]
        let head = try await ledger.headSequence()
        all["head"] = AnyHashable(head)
        for (id, branches) in names {
            for position in [nil, 1, head / 3, head / 2, head - 1] as [UInt64?] {
                let reads = try await everyRead(
                    of: ledger.session(id),
                    asOf: position.map { .sequence($0) },
                    branches: branches
                )
                for (key, value) in reads {
                    all["\(id) @\(position.map(String.init) ?? "now") \(key)"] = value
                }
            }
            for query in ["ask", "weather", "q1 OR q2", "answer*"] {
                all["\(id) search \(query)"] = AnyHashable(try await ledger.session(id).search(query, limit: 50))
            }
        }
        all["sessions"] = AnyHashable(try await ledger.sessions())
        let stats = try await ledger.stats()
        all["stats"] = AnyHashable([
            stats.headSequence, UInt64(stats.sessionCount), UInt64(stats.liveItemCount), UInt64(stats.totalItemRows),
            UInt64(stats.segmentCount), UInt64(stats.logBytes),
        ])
        all["search"] = AnyHashable(try await ledger.search("ask", limit: 100))
        return all
    }

    static func removeReadModel(_ store: TemporaryStore) {
        for suffix in ["", "-wal", "-shm"] {
            try? FileManager.default.removeItem(atPath: store.path + "/views.sqlite" + suffix)
        }
    }

    /// The file whose creation stops the reader of ``startWatchedReader(_:largestRead:)``.
    static let readerStopFile = "reader-stop"

    /// Starts a reader of session "watched" in another process (`ledger-torture read`, one item
    /// per batch, for 1.5 s, and then until it has read `largestRead` items, when given, and
    /// until ``expectReaderFinished(_:of:largestRead:)`` tells it to stop) and waits until it has
    /// the store open.
    static func startWatchedReader(
        _ store: TemporaryStore,
        largestRead: Int = 0
    ) async throws -> ReliabilityChildProcess {
        let reader = try ReliabilityChildProcess(
            executable: try ReliabilityExecutables.ledgerTorture(),
            arguments: [
                "read", "--store", store.path, "--session", "watched", "--batch", "1", "--duration-ms", "1500",
                "--min-largest", "\(largestRead)", "--until-file", store.path + "/" + readerStopFile,
            ]
        )
        #expect(await reader.waitForLine(prefix: "open ", timeout: .seconds(60)) != nil, "\(reader.standardError)")
        return reader
    }

    /// Tells the reader of ``startWatchedReader(_:largestRead:)`` to stop and expects it to exit
    /// cleanly (no partial batch, no count going down), its largest read having held `maximum`
    /// items, when given.
    static func expectReaderFinished(
        _ reader: ReliabilityChildProcess,
        of store: TemporaryStore,
        largestRead maximum: Int? = nil
    ) async {
        #expect(FileManager.default.createFile(atPath: store.path + "/" + readerStopFile, contents: nil))
        #expect(
            await reader.waitForExit(timeout: .seconds(150)) == .exited(0),
            "\(reader.lines) \(reader.standardError)"
        )
        if let maximum {
            #expect(
                reader.lines.contains { $0.hasPrefix("reads ") && $0.contains("max=\(maximum)") },
                "\(reader.lines)"
            )
        }
    }

    /// Puts the log of `other` in place of the log of `store` (both closed).
    static func replaceLog(of store: TemporaryStore, withLogOf other: TemporaryStore) throws {
        try FileManager.default.removeItem(atPath: store.path + "/log")
        try FileManager.default.copyItem(atPath: other.path + "/log", toPath: store.path + "/log")
    }

    /// Whether this process holds a POSIX lock on byte 128 of the read model's `-shm` file, as
    /// `/proc/locks` lists it: SQLite's "DMS" lock, which every open connection keeps, and
    /// which closing any other descriptor of the file would drop. The kernel prints the table a
    /// page per read, and while other tests take and drop locks a pass can skip a line, so it
    /// looks up to 50 times.
    static func holdsSharedMemoryLock(_ store: TemporaryStore) throws -> Bool {
        let attributes = try FileManager.default.attributesOfItem(atPath: store.path + "/views.sqlite-shm")
        let inode = try #require((attributes[.systemFileNumber] as? NSNumber)?.uint64Value)
        for _ in 0..<50 {
            // Read as the store lock reads it, in large calls (String(contentsOfFile:) missed
            // the line in a full test run, with many stores' locks listed).
            let lines = try #require(StoreLock.readProcLocks())
            let held = lines.contains { line in
                let fields = line.split(whereSeparator: \.isWhitespace)
                return fields.count >= 8 && fields[1] == "POSIX" && fields[4] == "\(getpid())"
                    && fields[5].hasSuffix(":\(inode)") && fields[6] == "128"
            }
            if held {
                return true
            }
        }
        return false
    }

    /// The inode of the read model file: a rebuild writes a new file and moves it into place.
    static func readModelInode(_ store: TemporaryStore) throws -> UInt64 {
        let attributes = try FileManager.default.attributesOfItem(atPath: store.path + "/views.sqlite")
        return try #require((attributes[.systemFileNumber] as? NSNumber)?.uint64Value)
    }

    /// Opens `target` and adds "NAME 0", "NAME 1" and "NAME 2" to session `s`, one per event:
    /// a log of three events whose frames differ from another name's. Returns the ledger open.
    static func openWithThreeAdds(_ target: TemporaryStore, named name: String) async throws -> Ledger {
        let ledger = try await target.open()
        for index in 0..<3 {
            try await ledger.session("s").addItems([ItemFactory.user("\(name) \(index)")])
        }
        return ledger
    }

    /// Runs one statement on a read model file with the sqlite3 command line and returns its output.
    static func sqlite(_ path: String, _ sql: String) throws -> String {
        try ChildSpawn.run("/usr/bin/env", ["sqlite3", "-readonly", path, sql]).output
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The reads of the live-rebuild test's readers, as text (which tasks can share).
    static func signature(of session: LedgerSession) async throws -> String {
        let items = try await session.items()
        let side = try await session.items(branch: "side")
        let branches = try await session.listBranches()
        let turns = try await session.conversationTurns(branch: "main")
        let tools = try await session.conversationByTurns()
        let usage = try await session.sessionUsage()
        return
            "\(items.count) \(side.count) \(items.last.map(\.json) ?? "") \(branches) \(turns) \(tools) \(usage as Any)"
    }

    @Test("deleting the read model: the next open rebuilds it and every query answers the same")
    func deleteAndReopen() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        var ledger = try await store.open { $0 = PropertyTests.options() }
        let names = try await Self.writeHistory(ledger)
        let before = try await Self.everything(ledger, names)
        #expect(try await ledger.verifyReadModel() == [])
        try await ledger.close()

        Self.removeReadModel(store)
        ledger = try await store.open { $0 = PropertyTests.options() }
        expectSameReads(try await Self.everything(ledger, names), before, "after deleting the read model")
        #expect(try await ledger.verifyReadModel() == [])
        try await ledger.close()

        // A damaged read model is rebuilt too.
        try Data("this is not a database".utf8).write(to: URL(fileURLWithPath: store.path + "/views.sqlite"))
        ledger = try await store.open { $0 = PropertyTests.options() }
        expectSameReads(try await Self.everything(ledger, names), before, "after damaging the read model")
        try await ledger.close()
    }

    @Test("openRebuildingViews replaces the file when alone, copies online beside a reader in another process")
    func openRebuilding() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        var ledger = try await store.open { $0 = PropertyTests.options() }
        let names = try await Self.writeHistory(ledger, steps: 120)
        // What the reader process below checks: item j of "watched" says "b=j i=0/1", one per event.
        for batch in 0..<3 {
            try await ledger.session("watched").addItems([ItemFactory.user("b=\(batch) i=0/1")])
        }
        let before = try await Self.everything(ledger, names)
        try await ledger.close()
        let views = store.path + "/views.sqlite"
        func fileNumber() throws -> Int {
            try #require(FileManager.default.attributesOfItem(atPath: views)[.systemFileNumber] as? Int)
        }

        // Alone: a new file takes the old one's place.
        var inode = try fileNumber()
        let reports = Mutex<[RebuildProgress]>([])
        ledger = try await Ledger.openRebuildingViews(at: store.path, options: PropertyTests.options()) { progress in
            reports.withLock { $0.append(progress) }
        }
        #expect(try fileNumber() != inode, "the read model was not replaced")
        #expect(reports.withLock { $0.last.map { $0.applied == $0.total } } == true)
        expectSameReads(try await Self.everything(ledger, names), before, "after a rebuild by replacement")
        #expect(try await ledger.verifyReadModel() == [])
        try await ledger.close()

        // Beside a reader in another process: copied into the live file, the reader unharmed.
        let reader = try await Self.startWatchedReader(store)
        inode = try fileNumber()
        ledger = try await Ledger.openRebuildingViews(at: store.path, options: PropertyTests.options())
        #expect(try fileNumber() == inode, "the read model was replaced under a reader")
        expectSameReads(try await Self.everything(ledger, names), before, "after an online rebuild")
        try await ledger.close()
        await Self.expectReaderFinished(reader, of: store)
    }

    @Test(
        "a catch-up that SQLite refuses (a foreign trigger) rebuilds the read model on open: online beside a reader in another process, which keeps reading a consistent view; once, when the open asked for a rebuild",
        arguments: [false, true]
    )
    func refusedCatchUpRebuildsOnline(rebuildAsked: Bool) async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let views = store.path + "/views.sqlite"
        var ledger = try await store.open(durability: .fsync)
        for batch in 0..<3 {
            try await ledger.session("watched").addItems([ItemFactory.user("b=\(batch) i=0/1")])
        }
        try await ledger.close()
        let stale = try LogFileBytes.read(views)
        ledger = try await store.open(durability: .fsync)
        try await ledger.session("refused").addItems([ItemFactory.user("refused by the foreign trigger")])
        try await ledger.session("watched").addItems([ItemFactory.user("b=3 i=0/1")])
        try await ledger.close()
        Self.removeReadModel(store)
        try LogFileBytes.write(stale, to: views)
        let foreign = try DatabaseQueue(path: views)
        try await foreign.write { db in
            try db.execute(
                sql: """
                    CREATE TRIGGER foreign_refusal BEFORE INSERT ON item WHEN NEW.session = 'refused'
                    BEGIN SELECT RAISE(ABORT, 'refused by a foreign trigger'); END
                    """
            )
        }
        try foreign.close()

        let reader = try await Self.startWatchedReader(store, largestRead: 4)
        let inode = try Self.readModelInode(store)
        let capture = ReliabilityLogCapture()
        let reports = Mutex<[RebuildProgress]>([])
        if rebuildAsked {
            var options = LedgerOptions(durability: .fsync)
            options.logger = capture.logger
            ledger = try await Ledger.openRebuildingViews(at: store.path, options: options) { progress in
                reports.withLock { $0.append(progress) }
            }
            // The rebuild that cured the refused catch-up was the one asked for: it reported its
            // progress, and rebuildViews did not copy a second model in after it.
            #expect(reports.withLock { $0.last.map { $0.applied == $0.total && $0.total == 5 } } == true)
            #expect(!capture.messages.contains { $0.contains("read model rebuilt") }, "\(capture.messages)")
        } else {
            ledger = try await store.open(durability: .fsync) { $0.logger = capture.logger }
        }
        #expect(capture.messages.contains { $0.contains("SQLite refused to catch it up") }, "\(capture.messages)")
        #expect(capture.messages.contains { $0.contains("rebuilding it online") }, "\(capture.messages)")
        #expect(try Self.holdsSharedMemoryLock(store))
        #expect(try Self.readModelInode(store) == inode, "the read model was replaced under a reader")
        #expect(try await ledger.session("watched").items().count == 4)
        #expect(try await ledger.session("refused").items() == [ItemFactory.user("refused by the foreign trigger")])
        let triggers = try Self.sqlite(views, "SELECT count(*) FROM sqlite_master WHERE name = 'foreign_refusal'")
        #expect(triggers == "0", "the rebuilt read model kept the foreign trigger")
        try await ledger.close()
        await Self.expectReaderFinished(reader, of: store, largestRead: 4)
    }

    @Test(
        "a read model of another, shorter log, open in another process, is rebuilt in place: that process reads the rebuilt model, not the old file"
    )
    func anotherShorterLogBesideAReader() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        // The read model: three items of "watched", then two events of another session.
        var ledger = try await store.open(durability: .fsync)
        for batch in 0..<3 {
            try await ledger.session("watched").addItems([ItemFactory.user("b=\(batch) i=0/1")])
        }
        try await ledger.session("ahead").addItems([ItemFactory.user("only in the read model")])
        try await ledger.session("ahead").addItems([ItemFactory.user("this one too")])
        try await ledger.close()
        // The log: four items of "watched" and nothing else, four events where the model applied five.
        let other = try TemporaryStore()
        defer { other.remove() }
        ledger = try await other.open(durability: .fsync)
        for batch in 0..<4 {
            try await ledger.session("watched").addItems([ItemFactory.user("b=\(batch) i=0/1")])
        }
        try await ledger.close()
        try Self.replaceLog(of: store, withLogOf: other)

        let reader = try await Self.startWatchedReader(store, largestRead: 4)
        let inode = try Self.readModelInode(store)
        let capture = ReliabilityLogCapture()
        ledger = try await store.open(durability: .fsync) { $0.logger = capture.logger }
        // Another log first: that it is also shorter than the model's is the lesser news.
        #expect(capture.messages.contains { $0.contains("built from another log") }, "\(capture.messages)")
        #expect(!capture.messages.contains { $0.contains("ahead of the log") }, "\(capture.messages)")
        #expect(capture.messages.contains { $0.contains("rebuilding it online") }, "\(capture.messages)")
        #expect(try Self.readModelInode(store) == inode, "the read model was replaced under a reader")
        // Looking for the other process did not cost this one's connections their lock.
        #expect(try Self.holdsSharedMemoryLock(store))
        #expect(try await ledger.session("watched").items().count == 4)
        #expect(try await ledger.session("ahead").items() == [])
        #expect(try await ledger.verifyReadModel() == [])
        try await ledger.close()
        // The reader saw the fourth item, which only the rebuilt model holds.
        await Self.expectReaderFinished(reader, of: store, largestRead: 4)
    }

    @Test(
        "a read model built from another log of the same length is rebuilt on open; one that lacks the log's identity records it without a rebuild"
    )
    func builtFromAnotherLog() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let other = try TemporaryStore()
        defer { other.remove() }
        for (target, name) in [(store, "mine"), (other, "other")] {
            try await Self.openWithThreeAdds(target, named: name).close()
        }
        let views = store.path + "/views.sqlite"
        #expect(try Self.sqlite(views, "SELECT length(value) FROM ledger_meta WHERE key = 'log_identity'") == "64")

        // A reopen of the same log keeps the model, and so does one of a model that predates the
        // identity (it records it).
        let older = try DatabaseQueue(path: views)
        try await older.write { db in try db.execute(sql: "DELETE FROM ledger_meta WHERE key = 'log_identity'") }
        try older.close()
        var capture = ReliabilityLogCapture()
        var ledger = try await store.open { $0.logger = capture.logger }
        try await ledger.close()
        #expect(!capture.messages.contains { $0.contains("rebuilding") }, "\(capture.messages)")
        #expect(try Self.sqlite(views, "SELECT length(value) FROM ledger_meta WHERE key = 'log_identity'") == "64")

        // The other store's log, three events as well, in place of this one's.
        try Self.replaceLog(of: store, withLogOf: other)
        capture = ReliabilityLogCapture()
        ledger = try await store.open { $0.logger = capture.logger }
        #expect(capture.messages.contains { $0.contains("built from another log") }, "\(capture.messages)")
        #expect(try await ledger.session("s").items() == (0..<3).map { ItemFactory.user("other \($0)") })
        #expect(try await ledger.verifyReadModel() == [])
        try await ledger.close()
    }

    @Test("readModelIsCurrent: false read-only for a model of another log or behind the log, true once a writer opened")
    func readModelCurrency() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let other = try TemporaryStore()
        defer { other.remove() }
        for (target, name) in [(store, "mine"), (other, "other")] {
            let ledger = try await Self.openWithThreeAdds(target, named: name)
            #expect(try await ledger.readModelIsCurrent())
            try await ledger.close()
        }
        var reader = try await store.open { $0.readOnly = true }
        #expect(try await reader.readModelIsCurrent())
        try await reader.close()
        // Another log of the same length put in place: the model answers for the old one.
        try Self.replaceLog(of: store, withLogOf: other)
        reader = try await store.open { $0.readOnly = true }
        #expect(try await !reader.readModelIsCurrent())
        try await reader.close()
        try await store.open().close()
        reader = try await store.open { $0.readOnly = true }
        #expect(try await reader.readModelIsCurrent())
        #expect(try await reader.session("s").items() == (0..<3).map { ItemFactory.user("other \($0)") })
        try await reader.close()
        // A model behind its log (the model of two events, the log of three).
        let views = store.path + "/views.sqlite"
        let shell = try ChildSpawn.run(
            "/usr/bin/sqlite3",
            [views, "UPDATE ledger_meta SET value = '2' WHERE key = 'last_applied_seq'"]
        )
        #expect(shell.status == 0, "\(shell.output)")
        reader = try await store.open { $0.readOnly = true }
        #expect(try await !reader.readModelIsCurrent())
        try await reader.close()
    }

    @Test(
        "the log's identity is the same read from its only frame and from the header of the frame after it, in the same segment or the next; a rebuild keeps it",
        arguments: [64 << 20, 4096]
    )
    func logIdentityAcrossFrames(segmentSizeBytes: Int) async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let views = store.path + "/views.sqlite"
        func identity() throws -> String {
            try Self.sqlite(views, "SELECT value FROM ledger_meta WHERE key = 'log_identity'")
        }
        func open() async throws -> (Ledger, ReliabilityLogCapture) {
            let capture = ReliabilityLogCapture()
            let ledger = try await store.open {
                $0.segmentSizeBytes = segmentSizeBytes
                $0.logger = capture.logger
            }
            return (ledger, capture)
        }
        // One frame, larger than a small segment: the next frame starts the next segment.
        var (ledger, capture) = try await open()
        try await ledger.session("s").addItems([ItemFactory.user((0..<300).map { _ in UUID().uuidString }.joined())])
        try await ledger.close()
        let single = try identity()
        #expect(single.count == 64)

        (ledger, capture) = try await open()
        try await ledger.session("s").addItems([ItemFactory.user("second frame")])
        try await ledger.close()
        (ledger, capture) = try await open()
        #expect(!capture.messages.contains { $0.contains("rebuilding") }, "\(capture.messages)")
        let segments = try FileManager.default.contentsOfDirectory(atPath: store.path + "/log").filter {
            $0.hasSuffix(".seg")
        }
        #expect(segments.count == (segmentSizeBytes == 4096 ? 2 : 1), "\(segments)")
        try await ledger.rebuildViews()
        #expect(try identity() == single)
        try await ledger.close()
        #expect(try identity() == single)
    }

    @Test(
        "a rebuild beside a read-only handle of the same process (opened through a symbolic link) is copied into the live file: that handle keeps its lock and reads what the writer writes"
    )
    func rebuildBesideAHandleOfThisProcess() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        var ledger = try await store.open()
        try await ledger.session("s").addItems([ItemFactory.user("before")])
        try await ledger.close()
        // Through a symbolic link: the same store, spelled differently.
        let link = store.path + "-link"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: store.path)
        defer { try? FileManager.default.removeItem(atPath: link) }
        let reader = try await Ledger.open(at: link, options: LedgerOptions(readOnly: true))
        let inode = try Self.readModelInode(store)
        let capture = ReliabilityLogCapture()
        var options = LedgerOptions()
        options.logger = capture.logger
        ledger = try await Ledger.openRebuildingViews(at: store.path, options: options)
        #expect(
            capture.messages.contains { $0.contains("(this process) has the read model open") },
            "\(capture.messages)"
        )
        #expect(try Self.readModelInode(store) == inode, "the read model was replaced under a handle of this process")
        #expect(try Self.holdsSharedMemoryLock(store))
        try await ledger.session("s").addItems([ItemFactory.user("after")])
        try await ledger.close()
        #expect(try await reader.session("s").items() == [ItemFactory.user("before"), ItemFactory.user("after")])
        try await reader.close()
    }

    @Test(
        "a handle that opens the read model while a rebuild replays the log into a new file gets the copy in its live file, not a file renamed away from under it"
    )
    func handleOpenedDuringTheReplay() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        var ledger = try await store.open()
        try await ledger.session("s").addItems([ItemFactory.user("before")])
        try await ledger.close()
        let inode = try Self.readModelInode(store)
        let path = store.path + "/views.sqlite"
        // Nobody has the model open when the rebuild starts: it replays into a new file, and the
        // handle opens during the replay.
        let handle = Mutex<ReadModel?>(nil)
        let rowsDuringReplay = Mutex<Int?>(nil)
        let capture = ReliabilityLogCapture()
        var options = LedgerOptions()
        options.logger = capture.logger
        ledger = try await Ledger.openRebuildingViews(at: store.path, options: options) { _ in
            handle.withLock { opened in
                guard opened == nil, let model = try? ReadModel.open(path: path, readOnly: true, readerCount: 1) else {
                    return
                }
                opened = model
                // A read, so that the handle's reader connection is open on the old file.
                let rows = try? model.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM item") }
                rowsDuringReplay.withLock { $0 = rows }
            }
        }
        let reader = try #require(handle.withLock { $0 })
        #expect(rowsDuringReplay.withLock { $0 } == 1)
        #expect(
            capture.messages.contains { $0.contains("opened the read model during the rebuild") },
            "\(capture.messages)"
        )
        #expect(try Self.readModelInode(store) == inode, "the read model was renamed over an open handle")
        try await ledger.session("s").addItems([ItemFactory.user("after")])
        try await ledger.close()
        let rows = try await reader.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM item") }
        #expect(rows == 2)
        try reader.close()
    }

    @Test("a read model dropped without close() no longer counts as open in this process")
    func droppedReadModelUnregisters() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        try await store.open().close()
        let path = store.path + "/" + ReadModel.fileName
        do {
            let model = try ReadModel.open(path: path, readOnly: true, readerCount: 1)
            withExtendedLifetime(model) {
                #expect(ReadModelUsers.anyOtherUser(ofDatabaseAt: path) == getpid())
            }
        }
        #expect(ReadModelUsers.anyOtherUser(ofDatabaseAt: path) == nil)
    }

    @Test("rebuildViews swaps in a new read model while readers read: they never fail nor see a partial view")
    func liveRebuild() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let ledger = try await store.open {
            $0 = PropertyTests.options()
            // Queries at the rebuilding writer's priority: at the default background QoS, on a
            // machine busy with other suites, they can get so little CPU that no read both
            // starts and ends inside a rebuild, and the test would not test the overlap.
            $0.queryQoS = .default
        }
        // Enough rows that a rebuild takes a while.
        for batch in 0..<150 {
            for id in ["r0", "r1", "r2"] {
                try await ledger.session(id).addItems(
                    (0..<10).map { index in
                        index == 0
                            ? ItemFactory.user("\(id) ask \(batch)") : ItemFactory.assistant("answer \(batch).\(index)")
                    }
                )
            }
            if batch == 100 {
                try await ledger.session("r1").createBranch(fromTurn: 50, named: "side")
                await ledger.session("r1").storeRunUsage(RunUsage(requests: 1, totalTokens: 9))
            }
        }
        let readers = ["r0", "r1", "r2"]
        var expectedReads: [String: [String: AnyHashable]] = [:]
        for id in readers {
            expectedReads[id] = try await everyRead(of: ledger.session(id), branches: ["main", "side"])
        }
        let expected = expectedReads
        var expectedSignatures: [String: String] = [:]
        for id in readers {
            expectedSignatures[id] = try await Self.signature(of: ledger.session(id))
        }
        let signatures = expectedSignatures
        let state = ReaderState()

        let (outcomes, acknowledged) = try await withThrowingTaskGroup(
            of: (reads: Int, failures: [String]).self
        ) { group in
            for reader in 0..<6 {
                group.addTask {
                    var reads = 0
                    var failures: [String] = []
                    while !state.stop.load(ordering: .acquiring) {
                        let id = readers[(reader + reads) % readers.count]
                        let during = state.rebuilding.load(ordering: .acquiring)
                        do {
                            let signature = try await Self.signature(of: ledger.session(id))
                            if signature != signatures[id] {
                                failures.append(
                                    "reader \(reader) read \(reads) of \(id) differs: \(signature.prefix(200))"
                                )
                            }
                        } catch {
                            failures.append("reader \(reader) read \(reads) of \(id) failed: \(error)")
                        }
                        reads += 1
                        if during && state.rebuilding.load(ordering: .acquiring) {
                            state.readsDuringRebuild.add(1, ordering: .relaxed)
                        }
                    }
                    return (reads, failures)
                }
            }
            // A writer on another session: its calls wait for each rebuild and then go through.
            let writer = Task {
                var acknowledged: [SessionItem] = []
                for index in 0..<60 {
                    let item = ItemFactory.user("w \(index)")
                    try await ledger.session("w").addItems([item])
                    acknowledged.append(item)
                }
                return acknowledged
            }
            for _ in 0..<3 {
                state.rebuilding.store(true, ordering: .releasing)
                try await ledger.rebuildViews { report in
                    state.progress.withLock { $0.append(report) }
                    // Hold the rebuild here, before it swaps the new model in, until a read has
                    // run inside one (or a minute has passed: the check below then fails): a
                    // machine busy with other suites can otherwise give the readers no CPU while
                    // a rebuild runs, and the test would not test the overlap.
                    let deadline = ContinuousClock.now + .seconds(60)
                    while state.readsDuringRebuild.load(ordering: .acquiring) == 0, ContinuousClock.now < deadline {
                        usleep(1_000)
                    }
                }
                state.rebuilding.store(false, ordering: .releasing)
                try await Task.sleep(for: .milliseconds(20))
            }
            let acknowledged = try await writer.value
            state.stop.store(true, ordering: .releasing)
            var outcomes: [(reads: Int, failures: [String])] = []
            for try await outcome in group {
                outcomes.append(outcome)
            }
            return (outcomes, acknowledged)
        }
        let failures = outcomes.flatMap(\.failures)
        #expect(failures.isEmpty, "\(failures.prefix(5))")
        #expect(outcomes.allSatisfy { $0.reads > 0 })
        #expect(state.readsDuringRebuild.load(ordering: .relaxed) > 0, "some reads ran while a rebuild was running")
        let reports = state.progress.withLock { $0 }
        #expect(!reports.isEmpty)
        #expect(reports.allSatisfy { $0.applied <= $0.total })
        #expect(reports.contains { $0.applied == $0.total && $0.fraction == 1 })
        #expect(try await ledger.session("w").items() == acknowledged)
        for id in readers {
            expectSameReads(
                try await everyRead(of: ledger.session(id), branches: ["main", "side"]),
                expected[id]!,
                "\(id) after the rebuilds"
            )
        }
        #expect(try await ledger.verifyReadModel() == [])
        try await ledger.close()
    }

    @Test("a read-only open refuses a read model of other migrations until a writer has rebuilt it")
    func readOnlyOtherSchema() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        var ledger = try await store.open()
        try await ledger.session("s").addItems([ItemFactory.user("hello"), ItemFactory.assistant("hi")])
        try await ledger.close()

        // Readers built with the extra migration meet a model built without it, and the reverse.
        await #expect {
            _ = try await store.open {
                $0.readOnly = true
                $0.extraMigrations = Self.extraMigrations
            }
        } throws: { error in
            guard let error = error as? LedgerError else {
                return false
            }
            return error.code == .unsupportedVersion && error.message.contains("agentledger rebuild")
        }
        ledger = try await store.open { $0.extraMigrations = Self.extraMigrations }
        try await ledger.close()
        await #expect(throws: LedgerError.self) {
            _ = try await store.open { $0.readOnly = true }
        }
        ledger = try await store.open {
            $0.readOnly = true
            $0.extraMigrations = Self.extraMigrations
        }
        #expect(try await ledger.session("s").items().count == 2)
        try await ledger.close()
    }

    @Test("an extra migration makes the next open rebuild the read model: every query as before, plus the new view")
    func extraMigration() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let path = store.path + "/views.sqlite"
        var ledger = try await store.open { $0 = PropertyTests.options() }
        let names = try await Self.writeHistory(ledger, seed: 23, steps: 150)
        let before = try await Self.everything(ledger, names)
        try await ledger.close()
        let original = try Self.readModelInode(store)

        // Reopening unchanged keeps the file.
        ledger = try await store.open { $0 = PropertyTests.options() }
        try await ledger.close()
        #expect(try Self.readModelInode(store) == original)

        // With the extra migration: a new file, the same answers, and the new view and table.
        ledger = try await store.open {
            $0 = PropertyTests.options()
            $0.extraMigrations = Self.extraMigrations
        }
        let migrated = try Self.readModelInode(store)
        #expect(migrated != original, "the read model file was replaced")
        expectSameReads(try await Self.everything(ledger, names), before, "with the extra migration")
        #expect(try await ledger.verifyReadModel() == [])
        for (id, _) in names {
            let branches = try await ledger.session(id).listBranches().filter { $0.itemCount > 0 }
            let rows = try Self.sqlite(
                path,
                "SELECT branch || '=' || items FROM test_branch_sizes WHERE session = '\(id)' ORDER BY branch"
            )
            let expectedRows = branches.map { "\($0.name)=\($0.itemCount)" }.sorted().joined(separator: "\n")
            #expect(rows == expectedRows, "test_branch_sizes of \(id)")
        }
        let stats = try await ledger.stats()
        #expect(try Self.sqlite(path, "SELECT count(*) FROM test_added") == "\(stats.totalItemRows)")
        // The trigger also sees new writes.
        try await ledger.session("alpha").addItems([
            ItemFactory.user("after the migration"), ItemFactory.assistant("ok"),
        ])
        #expect(try Self.sqlite(path, "SELECT count(*) FROM test_added") == "\(stats.totalItemRows + 2)")
        try await ledger.close()

        // The same migrations again: no rebuild.
        ledger = try await store.open {
            $0 = PropertyTests.options()
            $0.extraMigrations = Self.extraMigrations
        }
        try await ledger.close()
        #expect(try Self.readModelInode(store) == migrated)

        // Without them: rebuilt again, the view is gone, and everything else answers as before
        // (plus the two items added above).
        ledger = try await store.open { $0 = PropertyTests.options() }
        #expect(try Self.readModelInode(store) != migrated)
        #expect(try Self.sqlite(path, "SELECT count(*) FROM sqlite_master WHERE name LIKE 'test_%'") == "0")
        #expect(
            try await ledger.session("alpha").items().suffix(2) == [
                ItemFactory.user("after the migration"), ItemFactory.assistant("ok"),
            ]
        )
        for id in names.keys where id != "alpha" {
            let reads = try await everyRead(of: ledger.session(id), branches: names[id]!)
            for (key, value) in reads {
                #expect(before["\(id) @now \(key)"] == value, "\(id) \(key) after removing the migration")
            }
        }
        #expect(try await ledger.verifyReadModel() == [])
        try await ledger.close()
    }
}
