import AgentLedger
import AgentLedgerTestSupport
import Foundation
import Testing

/// Where a checkout puts its copy: built in a hidden staging directory next to the destination
/// and moved into place once complete; never inside the source store.
@Suite("Checkout: staging, destination checks")
struct CheckoutTests {
    /// A store with `count` events, in session `s`.
    static func source(events count: Int) async throws -> TemporaryStore {
        let store = try TemporaryStore()
        let ledger = try await store.open()
        for index in 0..<count {
            try await ledger.session("s").addItems([ItemFactory.user("item \(index)")])
        }
        #expect(try await ledger.headSequence() == UInt64(count))
        try await ledger.close()
        return store
    }

    @Test("a log cut before events its read model shows durable: a checkout past the cut is refused, not shortened")
    func cutBeforeDurableEvents() async throws {
        let source = try await Self.source(events: 8)
        defer { source.remove() }
        // Cut the last frame off (a clean close left no reserved zeros after it): frames start
        // after the 32-byte segment header and begin with their length.
        let segment = source.path + "/log/00000000000000000001.seg"
        let bytes = try LogFileBytes.read(segment)
        var offset = 32
        var lastFrame = offset
        while offset + 4 <= bytes.count {
            lastFrame = offset
            offset += bytes[offset..<offset + 4].reversed().reduce(0) { $0 << 8 | Int($1) }
        }
        try LogFileBytes.truncate(segment, to: lastFrame)
        let parent = try TemporaryDirectory(prefix: "agentledger-checkout")
        defer { parent.remove() }
        for through: UInt64 in [8, 100] {
            let refused = try await #require(throws: LedgerError.self) {
                try await Ledger.checkout(from: source.path, through: through, into: parent.path + "/past")
            }
            #expect(refused.code == .corruptLog)
            #expect(refused.message.contains("held events through 8 durably"), "\(refused.message)")
            #expect(refused.message.contains("The events through 7 are intact"), "\(refused.message)")
            #expect(!FileManager.default.fileExists(atPath: parent.path + "/past"))
        }
        #expect(try await Ledger.checkout(from: source.path, through: 7, into: parent.path + "/copy") == 7)
        #expect(try await Ledger.verifyLog(at: parent.path + "/copy").isIntact)
    }

    /// The names in `directory`.
    static func names(in directory: String) -> Set<String> {
        Set((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
    }

    @Test("a staging directory left by a killed checkout is removed by the next checkout into that directory")
    func abandonedStagingIsRemoved() async throws {
        let source = try await Self.source(events: 5)
        defer { source.remove() }
        let parent = try TemporaryDirectory(prefix: "agentledger-checkout")
        defer { parent.remove() }
        // What a checkout killed half-way leaves: a store with fewer events, under a hidden name.
        let dead = parent.path + "/.past.checkout-\(try Self.goneProcessID())-0badc0de"
        #expect(try await Ledger.checkout(from: source.path, through: 2, into: dead) == 2)
        #expect(FileManager.default.createFile(atPath: dead + "/.agentledger-checkout", contents: Data()))
        // That of a checkout still running (this process's parent is alive) is left alone, as is
        // the staging directory of another destination.
        let live = parent.path + "/.past.checkout-\(getppid())-0000abcd"
        let other = parent.path + "/.pastime.checkout-\(try Self.goneProcessID())-00000000"
        for directory in [live, other] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        }

        #expect(try await Ledger.checkout(from: source.path, through: 5, into: parent.path + "/past") == 5)
        let expected: Set<String> = [
            "past", (live as NSString).lastPathComponent, (other as NSString).lastPathComponent,
        ]
        #expect(Self.names(in: parent.path) == expected)
        #expect(!FileManager.default.fileExists(atPath: dead))
        #expect(FileManager.default.fileExists(atPath: live))
        #expect(FileManager.default.fileExists(atPath: other))
        let copy = try await Ledger.verifyLog(at: parent.path + "/past")
        #expect(copy.isIntact && copy.lastSequence == 5)
    }

    @Test("a checkout leaves no staging directory behind, and fails without touching the destination")
    func noStagingLeft() async throws {
        let source = try await Self.source(events: 3)
        defer { source.remove() }
        let parent = try TemporaryDirectory(prefix: "agentledger-checkout")
        defer { parent.remove() }
        // Missing, empty, and a directory of other files (one a store would use is refused:
        // `userFilesKept`).
        let empty = parent.path + "/empty"
        let notes = parent.path + "/notes"
        for directory in [empty, notes] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        }
        try Data("notes".utf8).write(to: URL(fileURLWithPath: notes + "/notes.txt"))
        // A destination whose parent directories are missing too gets them, as a store does.
        for destination in [parent.path + "/missing", empty, notes, parent.path + "/nested/a/copy"] {
            #expect(try await Ledger.checkout(from: source.path, through: 2, into: destination) == 2)
            let copy = try await Ledger.open(at: destination, options: LedgerOptions(durability: .none))
            #expect(try await copy.headSequence() == 2)
            #expect(try await copy.verifyReadModel() == [])
            try await copy.close()
        }
        #expect(FileManager.default.contents(atPath: notes + "/notes.txt") == Data("notes".utf8))
        #expect(Self.names(in: parent.path) == ["missing", "empty", "notes", "nested"])
        #expect(Self.names(in: parent.path + "/nested/a") == ["copy"])

        // A failed checkout (a damaged frame in the part to copy) removes its staging directory.
        let segment = source.path + "/log/00000000000000000001.seg"
        var bytes = try #require(FileManager.default.contents(atPath: segment))
        bytes[32 + 64 + 3] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: segment))
        let error = try await #require(throws: LedgerError.self) {
            try await Ledger.checkout(from: source.path, through: 3, into: parent.path + "/failed")
        }
        #expect(error.code == .corruptLog)
        #expect(Self.names(in: parent.path) == ["missing", "empty", "notes", "nested"])
    }

    @Test("a destination inside the source store is refused, symbolic links and .. resolved")
    func destinationInsideSource() async throws {
        let source = try await Self.source(events: 3)
        defer { source.remove() }
        let outside = try TemporaryDirectory(prefix: "agentledger-checkout")
        defer { outside.remove() }
        try FileManager.default.createSymbolicLink(atPath: outside.path + "/link", withDestinationPath: source.path)
        let before = Self.names(in: source.path + "/log")
        let storeBefore = Self.names(in: source.path)
        for destination in [
            source.path + "/log",
            source.path + "/log/x",
            source.path + "/new",
            source.path + "/new/../log/y",
            outside.path + "/link/log",
            outside.path + "/link/z",
            outside.path + "/link",
        ] {
            let error = try await #require(throws: LedgerError.self, "\(destination)") {
                try await Ledger.checkout(from: source.path, through: 3, into: destination)
            }
            #expect(error.code == .invalidArgument, "\(destination)")
            #expect(error.message.contains("inside the store being checked out"), "\(destination): \(error.message)")
        }
        #expect(Self.names(in: source.path + "/log") == before)
        #expect(Self.names(in: source.path) == storeBefore)
        let empty = try await #require(throws: LedgerError.self) {
            try await Ledger.checkout(from: source.path, through: 3, into: "")
        }
        // A source that is no store is said to be so, before the destination is judged
        // against it (the destination here is inside the directory given as the source).
        let notAStore = try await #require(throws: LedgerError.self) {
            try await Ledger.checkout(from: outside.path, through: 3, into: outside.path + "/copy")
        }
        #expect(notAStore.code == .notFound && notAStore.message.contains("no store at"), "\(notAStore)")
        #expect(empty.code == .invalidArgument && empty.message.contains("the destination path is empty"))
        // Next to it is fine, also when named through the link.
        #expect(try await Ledger.checkout(from: outside.path + "/link", through: 3, into: outside.path + "/copy") == 3)
    }

    @Test("a stray segment after the log's end: verify names the real intact end, and checkout copies through it")
    func straySegmentAfterTheEnd() async throws {
        let source = try await Self.source(events: 8)
        defer { source.remove() }
        let before = try await Ledger.verifyLog(at: source.path)
        #expect(before.isIntact && before.lastSequence == 8)
        // Bytes that are no segment, under a segment's name far past the end.
        #expect(
            FileManager.default.createFile(
                atPath: source.path + "/log/00000000000000000099.seg",
                contents: Data((0..<500).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) })
            )
        )
        let damaged = try await Ledger.verifyLog(at: source.path)
        let gap = try #require(damaged.problems.first)
        #expect(gap.message.contains("the log before it ends at 8"))
        #expect(gap.message.contains("The events through 8 are intact: `agentledger checkout --as-of-seq 8 "), "\(gap)")

        let parent = try TemporaryDirectory(prefix: "agentledger-checkout")
        defer { parent.remove() }
        #expect(try await Ledger.checkout(from: source.path, through: 8, into: parent.path + "/copy") == 8)
        let copy = try await Ledger.verifyLog(at: parent.path + "/copy")
        #expect(copy.isIntact && copy.lastSequence == 8 && copy.headHashHex == before.headHashHex)
        // Past the intact end there is nothing to copy faithfully: refused.
        let refused = try await #require(throws: LedgerError.self) {
            try await Ledger.checkout(from: source.path, through: 9, into: parent.path + "/past")
        }
        #expect(refused.code == .corruptLog)
        #expect(refused.message.contains("The events through 8 are intact"), "\(refused.message)")
        #expect(!FileManager.default.fileExists(atPath: parent.path + "/past"))
    }

    /// The pid of a process that existed and is gone: a `/bin/true` that has exited and been
    /// reaped.
    static func goneProcessID() throws -> Int32 {
        try ChildSpawn.run("/bin/true", []).processID
    }

    @Test(
        "into an existing directory the copy is staged inside it (a mount point's file system), and its leftover removed"
    )
    func stagedInsideExistingDirectory() async throws {
        let source = try await Self.source(events: 4)
        defer { source.remove() }
        let parent = try TemporaryDirectory()
        defer { parent.remove() }
        let destination = parent.path + "/existing"
        try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: false)
        let dead = destination + "/.checkout-\(try Self.goneProcessID())-0badc0de"
        try FileManager.default.createDirectory(atPath: dead + "/log", withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: dead + "/.agentledger-checkout", contents: Data()))
        #expect(try await Ledger.checkout(from: source.path, through: 3, into: destination) == 3)
        #expect(!FileManager.default.fileExists(atPath: dead))
        #expect(Self.names(in: parent.path) == ["existing"], "nothing staged next to it")
        #expect(!Self.names(in: destination).contains { $0.hasPrefix(".checkout-") })
        let copy = try await Ledger.verifyLog(at: destination)
        #expect(copy.isIntact && copy.lastSequence == 3)
    }

    @Test("files that only look like a staging directory, and a destination's own views.sqlite, are never touched")
    func userFilesKept() async throws {
        let source = try await Self.source(events: 2)
        defer { source.remove() }
        let parent = try TemporaryDirectory()
        defer { parent.remove() }
        let destination = parent.path + "/dst"
        let gone = try Self.goneProcessID()
        // Right names without the mark, or names not of the generated form: a user's.
        let lookalikes = [
            destination + "/.checkout-\(gone)-photos", destination + "/.checkout-\(gone)-0badc0de",
            parent.path + "/.dst.checkout-\(gone)-0badc0de",
        ]
        for directory in lookalikes {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            #expect(FileManager.default.createFile(atPath: directory + "/precious.txt", contents: Data("x".utf8)))
        }
        let marked = destination + "/.checkout-\(gone)-photos2"
        try FileManager.default.createDirectory(atPath: marked, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: marked + "/.agentledger-checkout", contents: Data()))
        #expect(try await Ledger.checkout(from: source.path, through: 2, into: destination) == 2)
        for directory in lookalikes + [marked] {
            #expect(FileManager.default.fileExists(atPath: directory + "/precious.txt") || directory == marked)
            #expect(FileManager.default.fileExists(atPath: directory), "\(directory)")
        }
        #expect(!FileManager.default.fileExists(atPath: destination + "/.agentledger-checkout"))

        let own = parent.path + "/own"
        try FileManager.default.createDirectory(atPath: own, withIntermediateDirectories: false)
        #expect(FileManager.default.createFile(atPath: own + "/views.sqlite", contents: Data("mine".utf8)))
        let refused = try await #require(throws: LedgerError.self) {
            try await Ledger.checkout(from: source.path, through: 2, into: own)
        }
        #expect(refused.code == .invalidArgument && refused.message.contains("already holds views.sqlite"))
        #expect(try String(contentsOfFile: own + "/views.sqlite", encoding: .utf8) == "mine")
    }

    @Test("a checkout killed before it marked its staging directory leaves a name~ that the next one removes")
    func unmarkedLeftoverRemoved() async throws {
        let source = try await Self.source(events: 2)
        defer { source.remove() }
        let parent = try TemporaryDirectory()
        defer { parent.remove() }
        let gone = try Self.goneProcessID()
        let live = getpid()
        // Killed after mkdir, and after writing the marker: both removed.
        let empty = parent.path + "/.dst.checkout-\(gone)-0badc0de~"
        let marked = parent.path + "/.dst.checkout-\(gone)-0badc0df~"
        // Anything else: a file inside, a live process, a name not generated.
        let holding = parent.path + "/.dst.checkout-\(gone)-0badc0e0~"
        let running = parent.path + "/.dst.checkout-\(live)-0badc0e1~"
        let other = parent.path + "/.dst.checkout-\(gone)-photos~"
        for directory in [empty, marked, holding, running, other] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        }
        for directory in [marked, running, other] {
            #expect(FileManager.default.createFile(atPath: directory + "/.agentledger-checkout", contents: Data()))
        }
        #expect(FileManager.default.createFile(atPath: holding + "/precious.txt", contents: Data("x".utf8)))
        #expect(try await Ledger.checkout(from: source.path, through: 2, into: parent.path + "/dst") == 2)
        #expect(!FileManager.default.fileExists(atPath: empty))
        #expect(!FileManager.default.fileExists(atPath: marked))
        #expect(FileManager.default.fileExists(atPath: holding + "/precious.txt"))
        #expect(FileManager.default.fileExists(atPath: running + "/.agentledger-checkout"))
        #expect(FileManager.default.fileExists(atPath: other + "/.agentledger-checkout"))
    }
}
