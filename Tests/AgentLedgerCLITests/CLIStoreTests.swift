import AgentLedger
import AgentLedgerTestSupport
import Foundation
import Testing

@Suite("CLI store: sessions, stats, locking, options")
struct CLIStoreTests {
    @Test("sessions: an aligned table and JSON")
    func sessions() async throws {
        let store = try CLIStore()
        try await store.ok("add", "a", input: #"{"role":"user","content":"1"}"#)
        try await store.ok(
            "add",
            "longer-session",
            input: #"[{"role":"user","content":"1"},{"role":"assistant","content":"2"}]"#
        )
        let lines = try await store.ok("sessions").split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix("SESSION         ITEMS  BRANCH  LAST ACTIVITY"))
        #expect(lines[1].hasPrefix("longer-session  2      main    20"))  // most recent first
        #expect(lines[2].hasPrefix("a               1      main    20"))
        let json = try CLIStore.json(try await store.ok("sessions", "--json"))
        let sessions = try #require(json.arrayValue)
        #expect(sessions.count == 2)
        #expect(sessions[0]["session"]?.stringValue == "longer-session")
        #expect(sessions[0]["items"]?.intValue == 2)
        #expect(sessions[0]["branch"]?.stringValue == "main")
        #expect(sessions[0]["last_seq"]?.intValue == 2)
        let activity = try #require(sessions[0]["last_activity"]?.stringValue)
        #expect(activity.count == "2026-11-26T23:40:01.123456Z".count && activity.hasSuffix("Z"))
    }

    @Test("stats: a figure per line and JSON")
    func stats() async throws {
        let store = try CLIStore()
        try await store.ok("add", "a", input: #"{"role":"user","content":"1"}"#)
        try await store.ok("add", "b", input: #"[{"role":"user","content":"1"},{"role":"assistant","content":"2"}]"#)
        try await store.ok("pop", "b")
        let lines = try await store.ok("stats").split(separator: "\n").map(String.init)
        #expect(
            lines.map { $0.split(separator: " ").dropLast().joined(separator: " ") } == [
                "head sequence", "sessions", "live items", "item rows", "segments", "log bytes", "log reserved",
                "view bytes",
            ]
        )
        #expect(lines[0] == "head sequence  3")
        let json = try CLIStore.json(try await store.ok("stats", "--json"))
        #expect(json["head_seq"]?.intValue == 3)
        #expect(json["sessions"]?.intValue == 2)
        #expect(json["live_items"]?.intValue == 2)
        #expect(json["item_rows"]?.intValue == 3)
        #expect(json["segments"]?.intValue == 1)
        // Each command closes the store, which cuts the space reserved after the last frame.
        let segment = store.path + "/log/" + "00000000000000000001.seg"
        let size = try #require(try FileManager.default.attributesOfItem(atPath: segment)[.size] as? Int)
        #expect(json["log_bytes"]?.intValue == size)
        #expect(json["log_reserved_bytes"]?.intValue == 0)
        #expect((json["view_bytes"]?.intValue ?? 0) > 0)
    }

    @Test("read commands on a missing store exit 66; add creates it")
    func missingStore() async throws {
        let store = try CLIStore()
        let checkout = ["checkout", "--as-of-seq", "1", "--into", store.root + "/copy"]
        for command in [["items", "s"], ["sessions"], ["stats"], ["log"], ["turns", "s"], ["search", "x"], checkout] {
            let result = try await store.run(command)
            #expect(result.status == 66, "\(command)")
            #expect(
                result.standardError
                    == "agentledger: no store at \(store.path) (give --store DIR or set AGENTLEDGER_STORE)\n"
            )
        }
        #expect(!FileManager.default.fileExists(atPath: store.path))
        try await store.ok("add", "s", input: #"{"a":1}"#)
        #expect(FileManager.default.fileExists(atPath: store.path + "/log"))
    }

    @Test("an empty or too long --session exits 64, for export as for log", arguments: ["log", "export"])
    func sessionFilterChecked(command: String) async throws {
        let store = try CLIStore()
        try await store.ok("add", "s", input: #"{"a":1}"#)
        for (session, message) in [
            ("", "the session id is empty"), (String(repeating: "x", count: 1025), "1025 bytes"),
        ] {
            let result = try await store.run(command, "--session", session)
            #expect(result.status == 64, "\(command): \(result.standardError)")
            #expect(result.standardError.contains(message), "\(command): \(result.standardError)")
            #expect(result.standardOutput.isEmpty)
        }
    }

    @Test("an empty --store is a usage error, not the default store")
    func emptyStore() async throws {
        let directory = try TemporaryDirectory(prefix: "agentledger-cli-empty-store")
        let runner = try CLIRunner(environment: ["AGENTLEDGER_STORE": directory.path + "/env-store"])
        for arguments in [["add", "s", "--store", ""], ["items", "s", "--store", ""]] {
            let result = try await runner.run(arguments + ["--durability", "none"], input: #"{"a":1}"#)
            #expect(result.status == 64, "\(arguments): \(result.standardError)")
            #expect(result.standardError.contains("--store is empty"), "\(result.standardError)")
        }
        // Nothing was written to the store the environment names.
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/env-store"))
    }

    @Test("a set but empty $AGENTLEDGER_STORE is a usage error, not ./.agentledger; --store still wins over it")
    func emptyStoreVariable() async throws {
        let directory = try TemporaryDirectory(prefix: "agentledger-cli-empty-env")
        let executable = try CLIRunner().executablePath
        // `AGENTLEDGER_STORE=$DIR agentledger ...` with DIR unset, run in the directory.
        let shell = CLIRunner(executablePath: "/bin/sh", environment: ["AGENTLEDGER_STORE": ""])
        let script = #"cd "$1" && shift && exec "$0" "$@""#
        for arguments in [["add", "s"], ["items", "s"]] {
            let result = try await shell.run(
                ["-c", script, executable, directory.path] + arguments + ["--durability", "none"],
                input: #"{"a":1}"#
            )
            #expect(result.status == 64, "\(arguments): \(result.standardError)")
            #expect(
                result.standardError.contains("AGENTLEDGER_STORE is set but empty"),
                "\(arguments): \(result.standardError)"
            )
        }
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/.agentledger"))
        let named = try await shell.run(
            ["-c", script, executable, directory.path, "add", "s", "--store", "named", "--durability", "none"],
            input: #"{"a":1}"#
        )
        #expect(named.status == 0, "\(named.standardError)")
        #expect(FileManager.default.fileExists(atPath: directory.path + "/named/log"))
    }

    @Test("options before the subcommand are a usage error that shows the command with them after it")
    func optionsBeforeTheSubcommand() async throws {
        let runner = try CLIRunner()
        let result = try await runner.run(["--store", "/tmp/my store", "--verbose", "branch", "list", "s"])
        #expect(result.status == 64, "\(result.standardError)")
        #expect(result.standardError.hasPrefix("agentledger: Unknown option '--store'\n"), "\(result.standardError)")
        #expect(
            result.standardError.hasSuffix(
                "Options go after the subcommand: agentledger branch list s --store '/tmp/my store' --verbose\n"
            ),
            "\(result.standardError)"
        )
        // No subcommand to move them after: no hint.
        let unknown = try await runner.run(["--bogus"])
        #expect(unknown.status == 64)
        #expect(!unknown.standardError.contains("Options go after"), "\(unknown.standardError)")
    }

    @Test("a mistyped command is a usage error that names it and lists the commands there")
    func unknownCommand() async throws {
        let runner = try CLIRunner()
        let top = try await runner.run(["itmes", "s"])
        #expect(top.status == 64, "\(top.standardError)")
        #expect(top.standardError.contains("'itmes' is not a command of agentledger; the commands are: add, items,"))
        let nested = try await runner.run(["branch", "lst", "s"])
        #expect(nested.status == 64, "\(nested.standardError)")
        #expect(
            nested.standardError.hasSuffix(
                "'lst' is not a command of agentledger branch; the commands are: create, switch, delete, list\n"
            ),
            "\(nested.standardError)"
        )
        // The same word after `help`, which would otherwise print the top-level help.
        let help = try await runner.run(["help", "branch", "lst"])
        #expect(help.status == 64, "\(help.standardOutput)")
        #expect(help.standardOutput.isEmpty)
        #expect(
            help.standardError == "agentledger: help: 'lst' is not a command of agentledger branch; the commands are: "
                + "create, switch, delete, list\n"
        )
        let knownHelp = try await runner.run(["help", "branch", "list"])
        #expect(knownHelp.status == 0 && knownHelp.standardOutput.contains("USAGE: agentledger branch list"))
        // A command that exists, with a surplus argument: no such hint.
        let surplus = try await runner.run(["items", "s", "t"])
        #expect(surplus.status == 64)
        #expect(!surplus.standardError.contains("is not a command"), "\(surplus.standardError)")
    }

    @Test("the store defaults to $AGENTLEDGER_STORE")
    func storeFromEnvironment() async throws {
        let directory = try TemporaryDirectory(prefix: "agentledger-cli-env")
        let runner = try CLIRunner(environment: ["AGENTLEDGER_STORE": directory.path + "/env-store"])
        let added = try await runner.run(["add", "s", "--durability", "none"], input: #"{"a":1}"#)
        #expect(added.status == 0, "\(added.standardError)")
        #expect(FileManager.default.fileExists(atPath: directory.path + "/env-store/log"))
        let items = try await runner.run(["items", "s"])
        #expect(items.standardOutput == "[{\"a\":1}]\n")
    }

    @Test("durability values: fsync, interval:MS and none work; others exit 64")
    func durability() async throws {
        let store = try CLIStore()
        for (index, mode) in ["fsync", "interval:5", "none"].enumerated() {
            let result = try await store.run("add", "s", "--durability", mode, input: #"{"a":1}"#)
            #expect(result.status == 0, "\(mode): \(result.standardError)")
            #expect(result.standardOutput == "\(index + 1)\n")
        }
        for bad in ["sometimes", "interval:", "interval:0", "interval:x"] {
            #expect(try await store.run("add", "s", "--durability", bad, input: #"{"a":1}"#).status == 64, "\(bad)")
        }
    }

    @Test("a second writer exits 75 naming the pid; reads fall back to read-only")
    func lockedStore() async throws {
        let store = try CLIStore()
        try await store.ok("add", "chat", input: #"{"role":"user","content":"from the CLI"}"#)
        let ledger = try await Ledger.open(at: store.path, options: LedgerOptions(durability: .none))
        do {
            try await ledger.session("chat").addItems([try SessionItem(json: #"{"role":"assistant","content":"held"}"#)]
            )
            let add = try await store.run("add", "chat", "--lock-wait", "0", input: #"{"a":1}"#)
            #expect(add.status == 75)
            #expect(add.standardError.hasPrefix("agentledger: "))
            #expect(
                add.standardError.contains(
                    "locked by another process (pid \(getpid())) that writes to it or rebuilds its read model"
                )
            )
            let start = Date()
            #expect(try await store.run("pop", "chat", "--lock-wait", "300").status == 75)
            #expect(Date().timeIntervalSince(start) >= 0.3)
            #expect(
                try await store.ok("items", "chat")
                    == "[{\"role\":\"user\",\"content\":\"from the CLI\"},\n{\"role\":\"assistant\",\"content\":\"held\"}]\n"
            )
            #expect(try CLIStore.json(try await store.ok("stats", "--json"))["head_seq"]?.intValue == 2)
            #expect(try await store.ok("log").split(separator: "\n").count == 2)
        } catch {
            try await ledger.close()
            throw error
        }
        try await ledger.close()
        #expect(try await store.ok("pop", "chat") == "{\"role\":\"assistant\",\"content\":\"held\"}\n")
    }

    @Test("a writer waits for a reader that holds the lock briefly")
    func writerWaitsForReader() async throws {
        let store = try CLIStore()
        try await store.ok("add", "chat", input: #"{"role":"user","content":"x"}"#)
        // Readers take the lock while nobody writes; concurrent writers retry within --lock-wait
        // (long here: the machine may be busy).
        try await withThrowingTaskGroup(of: Int32.self) { group in
            for index in 0..<6 {
                group.addTask {
                    index.isMultiple(of: 2)
                        ? try await store.run("items", "chat").status
                        : try await store.run("add", "chat", "--lock-wait", "30000", input: #"{"n":\#(index)}"#).status
                }
            }
            for try await status in group {
                #expect(status == 0)
            }
        }
        #expect(try CLIStore.json(try await store.ok("stats", "--json"))["live_items"]?.intValue == 4)
    }

    @Test("a torn tail is repaired and reported on stderr; damage inside the log exits 74")
    func damagedLog() async throws {
        let store = try CLIStore()
        try await store.ok("add", "chat", input: #"{"a":1}"#)
        try await store.ok("add", "chat", input: #"{"b":2}"#)
        let segment = try Self.onlySegment(store)
        let handle = try #require(FileHandle(forUpdatingAtPath: segment))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("half a frame".utf8))
        try handle.close()
        let repaired = try await store.run("items", "chat")
        #expect(repaired.status == 0)
        #expect(repaired.standardOutput == "[{\"a\":1},\n{\"b\":2}]\n")
        #expect(repaired.standardError.contains("torn tail"))

        var bytes = try Data(contentsOf: URL(fileURLWithPath: segment))
        bytes[bytes.count / 3] ^= 0xFF  // inside the first frame, with a valid frame after it
        try bytes.write(to: URL(fileURLWithPath: segment))
        for command in [["items", "chat"], ["log"], ["add", "chat"]] {
            let damaged = try await store.run(command, input: #"{"c":3}"#)
            #expect(damaged.status == 74, "\(command): \(damaged.standardError)")
            #expect(damaged.standardError.contains("segment 00000000000000000001.seg"), "\(command)")
        }
    }

    @Test("a read model without its log is refused by every command, naming the missing log; nothing is created")
    func readModelWithoutLog() async throws {
        let store = try CLIStore()
        try await store.ok("add", "s", input: #"{"role":"user","content":"kept"}"#)
        try FileManager.default.removeItem(atPath: store.path + "/log")
        let checkout = ["checkout", "--as-of-seq", "1", "--into", store.root + "/copy"]
        for arguments in [["items", "s"], ["add", "s"], ["verify"], ["sessions"], ["rebuild"], checkout] {
            let result = try await store.run(arguments, input: #"{"role":"user","content":"new"}"#)
            #expect(result.status == 74, "\(arguments): \(result.standardError)")
            #expect(result.standardError.contains("holds a read model (views.sqlite) but no log/ directory"))
        }
        #expect(!FileManager.default.fileExists(atPath: store.path + "/log"), "no new log under the old model")
    }

    static func onlySegment(_ store: CLIStore) throws -> String {
        let names = try FileManager.default.contentsOfDirectory(atPath: store.path + "/log").filter {
            $0.hasSuffix(".seg")
        }
        try #require(names.count == 1)
        return store.path + "/log/" + names[0]
    }

    @Test("--help lists the commands and the exit codes; --version names the log format")
    func help() async throws {
        let store = try CLIStore()
        let help = try await store.runner.run(["--help"])
        #expect(help.status == 0)
        for command in [
            "add", "items", "pop", "clear", "sessions", "stats", "branch", "turns", "find", "tools", "usage", "search",
            "log",
        ] {
            #expect(help.standardOutput.contains("  \(command)"), "\(command)")
        }
        let words = help.standardOutput.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(words.contains("75 the store is locked by another process (a writer, or a reading command"))
        #expect(try await store.runner.run(["frobnicate"]).status == 64)
        let version = try await store.runner.run(["--version"])
        #expect(version.status == 0 && version.standardOutput.hasPrefix("agentledger 0.1.0 (log format 1)"))
    }
}
