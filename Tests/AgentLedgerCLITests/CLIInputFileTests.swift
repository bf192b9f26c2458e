import AgentLedger
import AgentLedgerTestSupport
import Foundation
import Testing

@Suite("CLI --file: pipes and devices read to the end, unreadable files named with the reason")
struct CLIInputFileTests {
    /// Items enough to take several reads (over 64 KiB), each line its own item.
    static let manyItems = (0..<1500).map {
        #"{"role":"user","content":"item \#($0) "# + String(repeating: "x", count: 60) + #""}"#
    }

    /// Runs `arguments` (plus the store options) with `--file` a FIFO, writes `input` into the
    /// FIFO once the command opened it, and waits for the command.
    static func runReadingFIFO(_ store: CLIStore, _ arguments: [String], input: String) async throws -> CLIRunner.Result
    {
        let fifo = try NamedPipe(path: store.root + "/input-\(UUID().uuidString).fifo")
        let running = try store.runner.start(
            arguments + ["--file", fifo.path, "--store", store.path, "--durability", "none"]
        )
        try await fifo.write(Array(input.utf8))
        return await running.wait()
    }

    @Test("add --file reads a FIFO to its end, over many reads")
    func addFromFIFO() async throws {
        let store = try CLIStore()
        let input = Self.manyItems.joined(separator: "\n") + "\n"
        let added = try await Self.runReadingFIFO(store, ["add", "chat", "--json"], input: input)
        #expect(added.status == 0, "\(added.standardError)")
        #expect(try CLIStore.json(added.standardOutput)["items"]?.intValue == Self.manyItems.count)
        let items = try await store.ok("items", "chat")
        #expect(items == "[" + Self.manyItems.joined(separator: ",\n") + "]\n")
    }

    @Test("add --file /dev/null adds nothing")
    func addFromDevice() async throws {
        let store = try CLIStore()
        #expect(try await store.ok("add", "chat", "--file", "/dev/null") == "")
    }

    @Test("import --file reads a FIFO to its end")
    func importFromFIFO() async throws {
        let source = try CLIStore()
        try await source.ok("add", "s", input: Self.manyItems[0..<3].joined(separator: "\n"))
        try await source.ok("add", "s", input: Self.manyItems[3])
        let exported = try await source.ok("export")
        let target = try CLIStore()
        let imported = try await Self.runReadingFIFO(target, ["import"], input: exported)
        #expect(imported.status == 0, "\(imported.standardError)")
        #expect(imported.standardOutput.hasPrefix("imported 2 events (4 items, 1 session)"))
        #expect(try await target.ok("items", "s") == (try await source.ok("items", "s")))
    }

    @Test("import reads its input line by line: lines across reads, CRLF, blank lines, no final newline")
    func importLines() async throws {
        let source = try CLIStore()
        // An item of 200 KB: its line takes several reads of 64 KiB.
        let long = #"{"role":"user","content":""# + String(repeating: "y", count: 200_000) + #""}"#
        try await source.ok("add", "s", input: Self.manyItems[0])
        try await source.ok("add", "s", input: long)
        try await source.ok("add", "s", input: Self.manyItems[1])
        let lines = try await source.ok("export").split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        let target = try CLIStore()
        let input = lines[0] + "\r\n\n  \n" + lines[1] + "\r\n" + lines[2]
        let imported = try await Self.runReadingFIFO(target, ["import"], input: input)
        #expect(imported.status == 0, "\(imported.standardError)")
        #expect(imported.standardOutput.hasPrefix("imported 3 events (3 items, 1 session)"))
        #expect(try await target.ok("items", "s") == (try await source.ok("items", "s")))

        // A bad line after the long one is named by its number, and nothing is written: the
        // store is not even created.
        let bad = try CLIStore()
        let refused = try await Self.runReadingFIFO(
            bad,
            ["import"],
            input: lines[0] + "\n\n" + lines[1] + "\n{\"kind\":\n" + lines[2] + "\n"
        )
        #expect(refused.status == 65)
        #expect(refused.standardError.contains("line 4"), "\(refused.standardError)")
        #expect(!FileManager.default.fileExists(atPath: bad.path + "/log"))
    }

    @Test("import skips a UTF-8 byte order mark at the start of its input, as add does")
    func importAfterByteOrderMark() async throws {
        let source = try CLIStore()
        try await source.ok("add", "s", input: Self.manyItems[0])
        let exported = try await source.ok("export")
        let target = try CLIStore()
        let imported = try await target.run("import", input: "\u{FEFF}" + exported)
        #expect(imported.status == 0, "\(imported.standardError)")
        #expect(imported.standardOutput.hasPrefix("imported 1 event (1 item, 1 session)"))
        #expect(try await target.ok("items", "s") == (try await source.ok("items", "s")))
    }

    @Test("a missing file or a directory exits 66 and says why", arguments: ["add", "import"])
    func unreadable(command: String) async throws {
        let store = try CLIStore()
        let arguments = command == "add" ? ["add", "chat"] : ["import"]
        let missingPath = store.root + "/nope.jsonl"
        let missing = try await store.run(arguments + ["--file", missingPath])
        #expect(missing.status == 66)
        #expect(
            missing.standardError
                == "agentledger: cannot read the file \(missingPath): No such file or directory\n"
        )
        let directory = try await store.run(arguments + ["--file", store.root])
        #expect(directory.status == 66)
        #expect(directory.standardError == "agentledger: cannot read the file \(store.root): it is a directory\n")
    }

    @Test("standard input closed when the command starts exits 66 saying so", arguments: ["add", "import"])
    func closedStandardInput(command: String) async throws {
        let store = try CLIStore()
        let arguments = command == "add" ? "add chat" : "import"
        let shell = CLIRunner(executablePath: "/bin/sh")
        let result = try await shell.run([
            "-c", #"exec "$0" \#(arguments) --store "$1" --durability none <&-"#, store.runner.executablePath,
            store.path,
        ])
        #expect(result.status == 66, "\(result.standardError)")
        #expect(
            result.standardError.hasPrefix("agentledger: cannot read standard input: it was closed when agentledger"),
            "\(result.standardError)"
        )
        #expect(!FileManager.default.fileExists(atPath: store.path + "/log"), "nothing written")
    }
}
