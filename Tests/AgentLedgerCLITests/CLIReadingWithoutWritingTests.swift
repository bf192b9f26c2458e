import AgentLedgerTestSupport
import Foundation
import Testing

/// Reading commands that must not, or cannot, open the store for writing: `log` while whoever
/// reads its output does not, and a store whose files refuse writes.
@Suite("CLI reading without writing: a stalled log, a store that refuses writes")
struct CLIReadingWithoutWritingTests {
    /// Runs `chattr` on `path` (an ext4 attribute: `+i` makes a file immutable, even to root).
    static func chattr(_ flag: String, _ path: String) throws {
        let result = try ChildSpawn.run("/usr/bin/chattr", [flag, path])
        #expect(result.status == 0, "chattr \(flag) \(path): \(result.output)")
    }

    /// What the kernel says each thread of process `pid` waits in (`/proc/PID/task/TID/wchan`).
    static func waitChannels(_ pid: Int32) -> String {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.map { (try? String(contentsOfFile: "/proc/\(pid)/task/\($0)/wchan", encoding: .utf8)) ?? "" }
            .joined(separator: " ")
    }

    @Test("log holds no writer lock while its output waits to be read: a writer goes on meanwhile")
    func logBesideAStalledReader() async throws {
        let store = try CLIStore()
        // One event of 2,000 items: a --json line of about 200 KB, more than a pipe holds.
        let items = (0..<2000).map { #"{"role":"user","content":"\#(String(repeating: "x", count: 100)) \#($0)"}"# }
        try await store.ok("add", "s", input: items.joined(separator: "\n"))
        // `log` writes into a FIFO that the shell holds open and never reads; the shell prints
        // log's pid.
        let fifo = store.root + "/stalled"
        let shell = CLIRunner(executablePath: "/bin/sh")
        let stalled = try shell.start([
            "-c", #"mkfifo "$2" && { "$0" log --json --store "$1" > "$2" & echo $!; exec 3< "$2"; sleep 60; }"#,
            store.runner.executablePath, store.path, fifo,
        ])
        defer { stalled.send(SIGKILL) }
        #expect(try await stalled.waitForOutput(containing: "\n"))
        let pid = try #require(Int32(stalled.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)))
        defer { kill(pid, SIGKILL) }
        // Wait until log is blocked writing its output, the store open.
        let deadline = Date().addingTimeInterval(20)
        while !Self.waitChannels(pid).contains("pipe_write"), Date() < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(Self.waitChannels(pid).contains("pipe_write"), "log never blocked on its output")
        let add = try await store.run(
            "add",
            "s",
            "--lock-wait",
            "200",
            input: #"{"role":"user","content":"meanwhile"}"#
        )
        #expect(add.status == 0, "\(add.standardError)")
    }

    @Test(
        "a store whose read model refuses writes is read read-only, with a warning, when its model is current; refused otherwise"
    )
    func storeThatRefusesWrites() async throws {
        let store = try CLIStore()
        try await store.ok("add", "s", input: #"{"role":"user","content":"kept"}"#)
        let model = store.path + "/views.sqlite"
        let older = store.root + "/views-older.sqlite"
        try FileManager.default.copyItem(atPath: model, toPath: older)

        try Self.chattr("+i", model)
        let current = try await store.run("items", "s")
        let write = try await store.run("add", "s", input: #"{"role":"user","content":"refused"}"#)
        try Self.chattr("-i", model)
        #expect(write.status == 74)
        #expect(write.standardError.contains("the read model file refuses writes"), "\(write.standardError)")
        #expect(current.status == 0, "\(current.standardError)")
        #expect(current.standardOutput == #"[{"role":"user","content":"kept"}]"# + "\n")
        #expect(
            current.standardError.contains("warning: the store cannot be opened for writing"),
            "\(current.standardError)"
        )
        #expect(current.standardError.contains("readonly database"), "\(current.standardError)")

        // A model behind the log: reading it as it is would miss the second add.
        try await store.ok("add", "s", input: #"{"role":"user","content":"second"}"#)
        try FileManager.default.removeItem(atPath: model)
        try FileManager.default.copyItem(atPath: older, toPath: model)
        try Self.chattr("+i", model)
        let behind = try await store.run("items", "s")
        try Self.chattr("-i", model)
        #expect(behind.status == 74, "\(behind.standardOutput) \(behind.standardError)")
        #expect(!behind.standardError.contains("warning"), "\(behind.standardError)")
        #expect(try await store.ok("items", "s").contains("second"))
    }

    @Test("log and export on a store that refuses writes and lacks its read model say why (74), not 'no store' (66)")
    func refusedWithoutReadModel() async throws {
        let store = try CLIStore()
        try await store.ok("add", "s", input: #"{"role":"user","content":"kept"}"#)
        for suffix in ["", "-wal", "-shm"] {
            try? FileManager.default.removeItem(atPath: store.path + "/views.sqlite" + suffix)
        }
        let lock = store.path + "/LOCK"
        try Self.chattr("+i", lock)
        var results: [CLIRunner.Result] = []
        for command in [["log"], ["export"]] {
            results.append(try await store.run(command))
        }
        try Self.chattr("-i", lock)
        for result in results {
            #expect(result.status == 74, "\(result.standardError)")
            #expect(result.standardError.contains("Operation not permitted"), "\(result.standardError)")
        }
    }
}
