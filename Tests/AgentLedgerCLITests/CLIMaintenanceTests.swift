import AgentLedger
import AgentLedgerTestSupport
import Foundation
import Testing

@Suite("CLI maintenance: verify, rebuild, checkout, export, import, import-sdk-sqlite")
struct CLIMaintenanceTests {
    static let items = #"[{"role":"user","content":"one"},{"role":"assistant","content":"two \u00e9"}]"#

    @Test("verify prints the head, accepts it back with --expect-head, and exits 1 on a damaged log")
    func verify() async throws {
        let store = try CLIStore()
        try await store.ok("add", "s", input: Self.items)
        try await store.ok("add", "s", input: #"{"role":"user","content":"three"}"#)
        let output = try await store.ok("verify", "--deep")
        #expect(output.contains("read model: identical to a fresh rebuild"))
        let head = try #require(output.split(separator: "\n").first { $0.hasPrefix("head ") }?.dropFirst(5))
        #expect(head.hasPrefix("2:") && head.count == 2 + 64)
        try await store.ok("verify", "--expect-head", String(head))
        let wrong = try await store.run("verify", "--expect-head", "2:" + String(repeating: "0", count: 64))
        #expect(wrong.status == 1 && wrong.standardOutput.contains("NOT found"))
        let json = try CLIStore.json(try await store.ok("verify", "--json"))
        #expect(json["ok"]?.boolValue == true && json["head_seq"]?.intValue == 2)
        // The events hold the three items' JSON (107 bytes) and their envelopes.
        let eventBytes = try #require(json["event_bytes"]?.intValue)
        #expect(eventBytes > 107 && eventBytes < 250)
        #expect(output.contains("bytes (the events take \(eventBytes) bytes uncompressed)"))

        // Flip one byte inside the first frame's payload: verify names the place and exits 1.
        let segment = store.path + "/log/00000000000000000001.seg"
        var bytes = try #require(FileManager.default.contents(atPath: segment))
        bytes[32 + 64 + 3] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: segment))
        let damaged = try await store.run("verify")
        #expect(damaged.status == 1)
        #expect(damaged.standardOutput.contains("segment 00000000000000000001.seg"))
        #expect(damaged.standardOutput.contains("FAILED"))
        // --deep cannot open a damaged log to compare its read model: the same failure, exit 1.
        let deep = try await store.run("verify", "--deep")
        #expect(deep.status == 1, "\(deep.standardError)")
        #expect(deep.standardOutput.contains("read model: not compared, the log is damaged"))
        #expect(deep.standardOutput.contains("FAILED"))
        let deepJSON = try CLIStore.json(try await store.run("verify", "--deep", "--json").standardOutput)
        #expect(deepJSON["read_model_compared"]?.boolValue == false)
        #expect(deepJSON["ok"]?.boolValue == false)
    }

    @Test("rebuild, checkout and export exit 74 naming the damage, and change nothing")
    func damagedLogExits74() async throws {
        let store = try CLIStore()
        try await store.ok("add", "s", input: Self.items)
        try await store.ok("add", "s", input: #"{"role":"user","content":"three"}"#)
        // Flip one byte inside the first frame's payload (the second frame stays valid).
        let segment = store.path + "/log/00000000000000000001.seg"
        var bytes = try #require(FileManager.default.contents(atPath: segment))
        bytes[32 + 64 + 3] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: segment))
        let viewsBefore = try #require(FileManager.default.contents(atPath: store.path + "/views.sqlite"))

        // The checkout's target already holds files of the user's: a failure must leave them.
        let target = store.path + "-checkout"
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: target) }
        try Data("keep".utf8).write(to: URL(fileURLWithPath: target + "/data.sqlite"))
        try Data("notes".utf8).write(to: URL(fileURLWithPath: target + "/notes.txt"))
        for command in [["rebuild"], ["checkout", "--as-of-seq", "2", "--into", target], ["export"]] {
            let result = try await store.run(command)
            #expect(result.status == 74, "\(command): \(result.standardError)")
            #expect(result.standardError.contains("segment 00000000000000000001.seg"), "\(command)")
            #expect(result.standardError.contains("offset "), "\(command): \(result.standardError)")
            #expect(result.standardError.contains("sequence 1"), "\(command): \(result.standardError)")
            #expect(result.standardOutput.isEmpty, "\(command) printed events from a damaged log")
        }
        // Nothing was repaired, truncated or replaced behind the user's back.
        #expect(FileManager.default.contents(atPath: segment) == bytes)
        #expect(FileManager.default.contents(atPath: store.path + "/views.sqlite") == viewsBefore)
        #expect(!FileManager.default.fileExists(atPath: target + "/log"))
        #expect(!FileManager.default.fileExists(atPath: target + "/LOCK"))
        #expect(FileManager.default.contents(atPath: target + "/data.sqlite") == Data("keep".utf8))
        #expect(!FileManager.default.fileExists(atPath: target + "/views.sqlite"))
        #expect(FileManager.default.contents(atPath: target + "/notes.txt") == Data("notes".utf8))
    }

    @Test(
        "export and log refuse a log whose last frame the read model shows durable is damaged, or cut beside a writer",
        arguments: ["flip", "cut"]
    )
    func damagedTailIsNotAShortLog(damage: String) async throws {
        let store = try CLIStore()
        try await store.ok("add", "s", input: Self.items)
        try await store.ok("add", "s", input: #"{"role":"user","content":"three"}"#)
        let segment = store.path + "/log/00000000000000000001.seg"
        var bytes = try #require(FileManager.default.contents(atPath: segment))
        if damage == "flip" {
            bytes[bytes.count - 3] ^= 0x40  // inside the last frame's payload
        } else {
            bytes.removeLast(5)
        }
        try bytes.write(to: URL(fileURLWithPath: segment))
        for command in [["export"], ["export", "--session", "s"], ["log"], ["log", "--session", "s"]] {
            let result = try await store.run(command)
            #expect(result.status == 74, "\(command): \(result.standardError)")
            #expect(result.standardError.contains("through 2"), "\(command): \(result.standardError)")
            #expect(result.standardOutput.isEmpty, "\(command) printed a short log")
        }
        // Beside another process that holds the writer lock, log reads read-only, up to the
        // read model's head: the log must reach it.
        let lock = open(store.path + "/LOCK", O_RDWR | O_CLOEXEC)
        try #require(lock >= 0 && flock(lock, LOCK_EX | LOCK_NB) == 0)
        defer { close(lock) }
        let listed = try await store.run("log")
        #expect(listed.status == 74, "\(listed.standardError)")
        #expect(listed.standardOutput.isEmpty, "log printed a short log")
        #expect(FileManager.default.contents(atPath: segment) == bytes, "a reader changed the log")
    }

    @Test("log and export rebuild a read model of other migrations (an upgrade) when nobody writes")
    func streamingAfterAnUpgrade() async throws {
        let store = try CLIStore()
        try await store.ok("add", "s", input: Self.items)
        let exported = try await store.ok("export")
        let logged = try await store.ok("log", "--json")
        let shell = try ChildSpawn.run(
            "/usr/bin/sqlite3",
            [store.path + "/views.sqlite", "UPDATE ledger_meta SET value = 'older' WHERE key = 'schema_fingerprint'"]
        )
        #expect(shell.status == 0, "\(shell.output)")
        #expect(try await store.ok("log", "--json") == logged)
        #expect(try await store.ok("export") == exported)
    }

    @Test("export rebuilds a missing read model when nobody writes, and exports every event")
    func exportWithoutReadModel() async throws {
        let store = try CLIStore()
        try await store.ok("add", "s", input: Self.items)
        try await store.ok("add", "s", input: #"{"role":"user","content":"three"}"#)
        let exported = try await store.ok("export")
        for suffix in ["", "-wal", "-shm"] {
            try? FileManager.default.removeItem(atPath: store.path + "/views.sqlite" + suffix)
        }
        #expect(try await store.ok("export") == exported)
        #expect(FileManager.default.fileExists(atPath: store.path + "/views.sqlite"))
    }

    @Test("rebuild replaces the read model and every answer stays the same")
    func rebuild() async throws {
        let store = try CLIStore()
        try await store.ok("add", "s", input: Self.items)
        let before = try await store.ok("items", "s")
        let result = try await store.run("rebuild")
        #expect(result.status == 0)
        // The final figures once, not again by the report's finish.
        #expect(result.standardError.components(separatedBy: "rebuild: 1/1 events, 100%").count == 2)
        #expect(try await store.ok("items", "s") == before)
        try await store.ok("verify", "--deep")
    }

    @Test("checkout copies the log up to a sequence number into an independent store")
    func checkout() async throws {
        let store = try CLIStore()
        try await store.ok("add", "s", input: Self.items)
        try await store.ok("pop", "s")
        try await store.ok("clear", "s")
        let target = store.root + "/past"
        try await store.ok("checkout", "--as-of-seq", "1", "--into", target)
        let copy = try await store.runner.run(["items", "s", "--store", target])
        #expect(copy.status == 0)
        let asOf = try await store.ok("items", "s", "--as-of-seq", "1")
        #expect(copy.standardOutput == asOf)
        #expect(copy.standardOutput.contains("two \\u00e9"))
        let again = try await store.run("checkout", "--as-of-seq", "1", "--into", target)
        #expect(again.status == 65)
    }

    @Test("export then import reproduces the sessions, item JSON byte for byte")
    func exportImport() async throws {
        let store = try CLIStore()
        try await store.ok("add", "s", input: Self.items)
        try await store.ok("branch", "create", "s", "--from-turn", "1", "--name", "alt")
        try await store.ok("add", "s", input: #"{"role":"user","content":"on alt"}"#)
        let exported = try await store.ok("export")
        #expect(exported.split(separator: "\n").count == 3)
        let other = try CLIStore()
        let imported = try await other.run(["import"], input: exported)
        #expect(imported.status == 0, "\(imported.standardError)")
        for branch in ["main", "alt"] {
            let original = try await store.ok("items", "s", "--branch", branch)
            #expect(try await other.ok("items", "s", "--branch", branch) == original)
        }
        let bad = try await other.run(["import"], input: "{\"kind\":\"nope\"}\n")
        #expect(bad.status == 65 && bad.standardError.contains("line 1"))
        let notJSON = try await other.run(["import"], input: "\n{nope\n")
        #expect(notJSON.status == 65)
        #expect(
            notJSON.standardError
                == "agentledger: line 2: not valid JSON: unexpected character 'n' "
                + "(expected a member name in double quotes) at byte 1\n"
        )
    }

    @Test("import-sdk-sqlite moves an Agents SDK database in; a missing file exits 66, --append --resume 64")
    func importSDK() async throws {
        let store = try CLIStore()
        let database = store.root + "/sdk.db"
        // A mistyped path, or a directory, before any store exists: 66, and no store is created.
        for path in [store.root + "/missing.db", store.root] {
            let mistyped = try await store.run("import-sdk-sqlite", path)
            #expect(mistyped.status == 66, "\(mistyped.standardError)")
            #expect(!FileManager.default.fileExists(atPath: store.path), "no store created for \(path)")
        }
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Fixtures/sdk-sqlite-session.sql").standardized.path
        let shell = try ChildSpawn.run("/usr/bin/sqlite3", [database, ".read \(fixture)"])
        #expect(shell.status == 0, "\(shell.output)")
        // --append with --resume: a usage error (64), found before any store is created.
        let fresh = try CLIStore()
        let contradictory = try await fresh.run("import-sdk-sqlite", database, "--append", "--resume")
        #expect(contradictory.status == 64, "\(contradictory.standardError)")
        #expect(contradictory.standardError.contains("not both"), "\(contradictory.standardError)")
        #expect(!FileManager.default.fileExists(atPath: fresh.path), "no store created for --append --resume")
        // A file that is not SQLite, or a database without the tables named: 65, no store either.
        let text = store.root + "/notes.txt"
        try Data("just text".utf8).write(to: URL(fileURLWithPath: text))
        for arguments in [[text], [database, "--sessions-table", "nope"]] {
            let refused = try await fresh.run(["import-sdk-sqlite"] + arguments)
            #expect(refused.status == 65, "\(arguments): \(refused.standardError)")
            #expect(!FileManager.default.fileExists(atPath: fresh.path), "no store created for \(arguments)")
        }
        let output = try await store.ok("import-sdk-sqlite", database)
        #expect(output.contains("imported 5 items of 2 sessions"))
        #expect(try await store.ok("items", "user_123", "--limit", "1").contains(#"What state is it in? \u00e9"#))
        let missing = try await store.run("import-sdk-sqlite", store.root + "/missing.db")
        #expect(missing.status == 66)
        // Again: refused, naming both ways on; --resume finds everything already here.
        let again = try await store.run("import-sdk-sqlite", database)
        #expect(
            again.status == 65 && again.standardError.contains("(--append, or --resume to finish a stopped import)")
        )
        let resumed = try await store.ok("import-sdk-sqlite", database, "--resume")
        #expect(resumed.contains("imported 0 items of 0 sessions"), "\(resumed)")
        #expect(resumed.contains("skipped: session 'user_123': already imported whole (resuming)"), "\(resumed)")
        let both = try await store.run("import-sdk-sqlite", database, "--resume", "--append")
        #expect(both.status == 64 && both.standardError.contains("not both"), "\(both.standardError)")
    }
}
