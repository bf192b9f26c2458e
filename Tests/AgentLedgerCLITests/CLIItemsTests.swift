import AgentLedger
import AgentLedgerTestSupport
import Foundation
import Testing

@Suite("CLI items: add, items, pop, clear")
struct CLIItemsTests {
    /// Items whose text must come back byte for byte: unicode, a NUL escape, quotes,
    /// backslashes, nested JSON in a string, odd spacing and member order, unknown fields.
    static let trickyItems = [
        #"{"role":"user","content":"héllo wörld 🌍 日本語"}"#,
        #"{"role":"assistant","content":"nul \u0000 and \"quotes\" and \\backslash\\ and \n newline"}"#,
        #"{ "type" : "function_call", "name":"get_weather","arguments":"{\"city\":\"Paris\"}","call_id":"c1" }"#,
        #"{"z":1,"a":[1,2.50,{"deep":null}],"content":"'; DROP TABLE item; --","extra":true}"#,
        #"{"role":"user","content":"\ud83d\ude00 escaped emoji, \u00e9 escaped e"}"#,
    ]

    static func expectedItems(_ items: [String]) -> String {
        "[" + items.joined(separator: ",\n") + "]\n"
    }

    @Test("a JSON array on stdin round-trips byte for byte")
    func arrayRoundTrip() async throws {
        let store = try CLIStore()
        let input = "  [\n" + Self.trickyItems.joined(separator: " ,\n\t") + "\n]\n"
        let added = try await store.run("add", "chat", input: input)
        #expect(added.status == 0, "\(added.standardError)")
        #expect(added.standardOutput == "1\n")
        let items = try await store.run("items", "chat")
        #expect(items.status == 0)
        #expect(items.standardOutputBytes == Array(Self.expectedItems(Self.trickyItems).utf8))
    }

    @Test("JSON Lines: blank lines and CRLF skipped, the sequence printed, --json counts")
    func jsonLines() async throws {
        let store = try CLIStore()
        let input = "\n" + Self.trickyItems[0] + "\r\n\n   \n" + Self.trickyItems[1] + "\n"
        #expect(try await store.ok("add", "chat", input: input) == "1\n")
        let second = try await store.ok(
            "add",
            "chat",
            "--json",
            input: Self.trickyItems[2] + "\n" + Self.trickyItems[3]
        )
        let value = try CLIStore.json(second)
        #expect(value["sequence"]?.intValue == 2)
        #expect(value["items"]?.intValue == 2)
        let items = try await store.ok("items", "chat")
        #expect(items == Self.expectedItems(Array(Self.trickyItems[0..<4])))
    }

    @Test("add --file reads a file; a missing file exits 66")
    func addFromFile() async throws {
        let store = try CLIStore()
        let file = store.root + "/items.jsonl"
        try Self.trickyItems.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try await store.ok("add", "chat", "--file", file) == "1\n")
        #expect(try await store.ok("items", "chat") == Self.expectedItems(Self.trickyItems))
        let missing = try await store.run("add", "chat", "--file", store.root + "/nope.jsonl")
        #expect(missing.status == 66)
        #expect(missing.standardError.hasPrefix("agentledger: "))
    }

    @Test("empty input adds nothing and prints nothing")
    func emptyInput() async throws {
        let store = try CLIStore()
        #expect(try await store.ok("add", "chat", input: "\n  \n") == "")
        #expect(try await store.ok("add", "chat", input: "[ ]") == "")
        let json = try CLIStore.json(try await store.ok("add", "chat", "--json", input: ""))
        #expect(json["sequence"]?.isNull == true)
        #expect(json["items"]?.intValue == 0)
        #expect(try await store.ok("items", "chat") == "[]\n")
    }

    @Test("a bad JSON line exits 65, names the line, and adds nothing")
    func badLineAddsNothing() async throws {
        let store = try CLIStore()
        try await store.ok("add", "chat", input: #"{"role":"user","content":"kept"}"#)
        let input = """
            {"role":"user","content":"one"}

            {"role":"assistant","content":"two"}
            {"role":"user","content": nope}
            {"role":"user","content":"five"}
            """
        let result = try await store.run("add", "chat", input: input)
        #expect(result.status == 65)
        #expect(result.standardError.hasPrefix("agentledger: line 4: "))
        #expect(result.standardError.contains("not valid JSON"))
        #expect(result.standardOutput.isEmpty)
        let notObject = try await store.run("add", "chat", input: "{\"a\":1}\n[1,2]\n")
        #expect(notObject.status == 65)  // the first byte is '{': JSON Lines, and line 2 is an array
        #expect(notObject.standardError.contains("line 2"))
        #expect(try await store.ok("items", "chat") == "[{\"role\":\"user\",\"content\":\"kept\"}]\n")
        let stats = try CLIStore.json(try await store.ok("stats", "--json"))
        #expect(stats["head_seq"]?.intValue == 1)
    }

    @Test("a bad array element exits 65, names its index, and adds nothing")
    func badArrayElement() async throws {
        let store = try CLIStore()
        let first = try await store.run("add", "chat", input: #"[{"a":1}, 2]"#)
        #expect(first.status == 65)
        #expect(!FileManager.default.fileExists(atPath: store.path), "input is validated before the store is opened")
        try await store.ok("add", "kept", input: #"{"k":1}"#)
        let cases: [(input: String, expected: String)] = [
            (#"[{"a":1}, {"b":2}, "text"]"#, "element [2]"),
            ("[{\"a\":1},\n{\"b\":}\n]", "element [1] (line 2)"),
            (#"[{"a":1},,{"b":2}]"#, "element [1]"),
            (#"[{"a":1},]"#, "element [1]"),
            (#"[{"a":1}, {"b":"unterminated]"#, "element [1]"),
            (#"[{"a":1}] {"b":2}"#, "after the array"),
        ]
        for (input, expected) in cases {
            let result = try await store.run("add", "chat", input: input)
            #expect(result.status == 65, "\(input)")
            #expect(result.standardError.contains(expected), "\(input): \(result.standardError)")
        }
        #expect(try await store.ok("items", "chat") == "[]\n")
        #expect(try CLIStore.json(try await store.ok("stats", "--json"))["head_seq"]?.intValue == 1)
    }

    @Test("limits: latest N oldest first, 0, more than all, negative exits 64")
    func limits() async throws {
        let store = try CLIStore()
        let items = (1...5).map { #"{"role":"user","content":"m\#($0)"}"# }
        try await store.ok("add", "chat", input: items.joined(separator: "\n"))
        #expect(try await store.ok("items", "chat", "--limit", "2") == Self.expectedItems(Array(items[3...])))
        #expect(try await store.ok("items", "chat", "--limit", "0") == "[]\n")
        #expect(try await store.ok("items", "chat", "--limit", "50") == Self.expectedItems(items))
        for arguments in [["--limit", "-1"], ["--limit=-3"]] {
            let negative = try await store.run(["items", "chat"] + arguments)
            #expect(negative.status == 64)
            #expect(negative.standardError.contains("--limit must be 0 or more"))
        }
        #expect(try await store.ok("items", "nobody") == "[]\n")
    }

    @Test("pop prints the newest item, then null; clear empties the session but not the log")
    func popAndClear() async throws {
        let store = try CLIStore()
        try await store.ok("add", "chat", input: Self.trickyItems[0] + "\n" + Self.trickyItems[1])
        try await store.ok("add", "other", input: Self.trickyItems[2])
        #expect(try await store.ok("pop", "chat") == Self.trickyItems[1] + "\n")
        #expect(try await store.ok("pop", "chat") == Self.trickyItems[0] + "\n")
        #expect(try await store.ok("pop", "chat") == "null\n")
        try await store.ok("add", "chat", input: Self.trickyItems[3])
        #expect(try await store.ok("clear", "chat") == "")
        #expect(try await store.ok("items", "chat") == "[]\n")
        #expect(try await store.ok("items", "other") == Self.expectedItems([Self.trickyItems[2]]))
        let kinds = try await store.ok("log", "--session", "chat", "--json")
            .split(separator: "\n")
            .map { try CLIStore.json(String($0))["kind"]?.stringValue }
        #expect(kinds == ["items_added", "item_popped", "item_popped", "items_added", "session_cleared"])
    }

    @Test("session ids: unicode and spaces work, empty or over 1,024 bytes exit 64")
    func sessionIDs() async throws {
        let store = try CLIStore()
        let id = "chät 42 / ünïcode\ttab"
        try await store.ok("add", id, input: Self.trickyItems[0])
        #expect(try await store.ok("items", id) == Self.expectedItems([Self.trickyItems[0]]))
        let sessions = try CLIStore.json(try await store.ok("sessions", "--json"))
        #expect(sessions[0]?["session"]?.stringValue == id)
        let longest = String(repeating: "é", count: 512)  // 1,024 bytes
        try await store.ok("add", longest, input: Self.trickyItems[0])
        #expect(try await store.run("add", longest + "x", input: Self.trickyItems[0]).status == 64)
        #expect(try await store.run("items", "").status == 64)
    }

    @Test(
        "an argument that is not valid UTF-8 exits 64 naming its position, rather than being repaired",
        arguments: [
            (#"add "$(printf 'a\377b')""#, 2), (#"add "$(printf 'a\376b')""#, 2), (#"add "$(printf '\300\257')""#, 2),
            (#"add chat --branch "$(printf 'main\377')""#, 4),
        ]
    )
    func nonUTF8Argument(arguments: String, position: Int) async throws {
        let store = try CLIStore()
        // CLIRunner passes only Strings, so the shell's printf makes the bytes.
        let shell = CLIRunner(executablePath: "/bin/sh")
        let script = #"exec "$0" \#(arguments) --store "$1" --durability none"#
        let result = try await shell.run(
            ["-c", script, store.runner.executablePath, store.path],
            input: Self.trickyItems[0]
        )
        #expect(result.status == 64)
        #expect(
            result.standardError
                == "agentledger: argument \(position) is not valid UTF-8 "
                + "(session ids, branch names, paths and other text must be UTF-8)\n"
        )
        #expect(!FileManager.default.fileExists(atPath: store.path))
        // The same bytes, valid UTF-8 (é), work.
        let valid = try await shell.run(
            [
                "-c", #"exec "$0" add "$(printf 'caf\303\251')" --store "$1" --durability none"#,
                store.runner.executablePath, store.path,
            ],
            input: Self.trickyItems[0]
        )
        #expect(valid.status == 0, "\(valid.standardError)")
        #expect(try await store.ok("items", "café") == Self.expectedItems([Self.trickyItems[0]]))
    }

    @Test("time travel: --as-of-seq and --as-of-time; both at once exit 64")
    func asOf() async throws {
        let store = try CLIStore()
        try await store.ok("add", "chat", input: Self.trickyItems[0])
        try await store.ok("add", "chat", input: Self.trickyItems[1])
        try await store.ok("pop", "chat")
        try await store.ok("pop", "chat")
        #expect(try await store.ok("items", "chat") == "[]\n")
        #expect(try await store.ok("items", "chat", "--as-of-seq", "1") == Self.expectedItems([Self.trickyItems[0]]))
        #expect(
            try await store.ok("items", "chat", "--as-of-seq", "2")
                == Self.expectedItems(Array(Self.trickyItems[0..<2]))
        )
        #expect(try await store.ok("items", "chat", "--as-of-seq", "0") == "[]\n")
        let events = try await store.ok("log", "--json").split(separator: "\n").map { try CLIStore.json(String($0)) }
        let secondTime = try #require(events[1]["time"]?.stringValue)
        #expect(
            try await store.ok("items", "chat", "--as-of-time", secondTime)
                == Self.expectedItems(Array(Self.trickyItems[0..<2]))
        )
        #expect(try await store.ok("items", "chat", "--as-of-time", "2000-01-01T00:00:00Z") == "[]\n")
        #expect(try await store.run("items", "chat", "--as-of-seq", "1", "--as-of-time", secondTime).status == 64)
        #expect(try await store.run("items", "chat", "--as-of-time", "yesterday").status == 64)
    }
}
