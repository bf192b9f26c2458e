import AgentLedger
import AgentLedgerTestSupport
import Foundation
import Testing

@Suite("CLI search and log")
struct CLISearchLogTests {
    @Test("search one session or the whole store; a bad query exits 65")
    func search() async throws {
        let store = try CLIStore()
        let paris = #"{"role":"user","content":"weather in Paris"}"#
        try await store.ok("add", "a", input: paris + "\n" + #"{"role":"assistant","content":"rainy"}"#)
        try await store.ok("add", "b", input: #"{"role":"user","content":"Paris museums"}"#)
        let all = try CLIStore.json(try await store.ok("search", "paris", "--json"))
        #expect(Set(all.arrayValue?.compactMap { $0["session"]?.stringValue } ?? []) == ["a", "b"])
        let one = try CLIStore.json(try await store.ok("search", "a", "paris", "--json"))
        let hits = try #require(one.arrayValue)
        #expect(hits.count == 1)
        #expect(hits[0]["item"] == (try JSONValue(parsing: paris)))
        #expect(hits[0]["branch"]?.stringValue == "main")
        #expect(hits[0]["turn"]?.intValue == 1)
        #expect(hits[0]["seq"]?.intValue == 1)
        #expect(hits[0]["rank"]?.doubleValue != nil)
        #expect(
            try CLIStore.json(try await store.ok("search", "paris", "--limit", "1", "--json")).arrayValue?.count == 1
        )
        let table = try await store.ok("search", "paris").split(separator: "\n").map(String.init)
        #expect(table[0] == "SESSION  BRANCH  TURN  SEQ  ITEM")
        #expect(table.count == 3)
        let bad = try await store.run("search", "\"unterminated")
        #expect(bad.status == 65)
        #expect(bad.standardError.contains("invalid search query"))
        for arguments in [["search", "a", ""], ["search", " \t"]] {
            let blank = try await store.run(arguments)
            #expect(blank.status == 65)
            #expect(blank.standardError == "agentledger: the search query is empty\n")
        }
        #expect(try await store.run("search", "paris", "--limit", "0").status == 64)
        #expect(try await store.run("search").status == 64)
        #expect(try await store.run("search", "a", "b", "c").status == 64)
    }

    @Test("log --json: every kind with its fields, item JSON verbatim")
    func logJSON() async throws {
        let store = try CLIStore()
        let first = #"{"role":"user","content":"nul \u0000 \"q\" é"}"#
        let second = #"{ "role" : "assistant", "content":"ok" }"#
        try await store.ok("add", "chat", input: first + "\n" + second)
        try await store.ok("pop", "chat")
        try await store.ok("add", "chat", input: #"{"role":"user","content":"two"}"#)
        try await store.ok("branch", "create", "chat", "--from-turn", "2", "--name", "alt")
        try await store.ok("branch", "switch", "chat", "main")
        try await store.ok(
            "usage",
            "record",
            "chat",
            "--requests",
            "1",
            "--input-tokens",
            "2",
            "--output-tokens",
            "3",
            "--total-tokens",
            "5",
            "--details",
            #"{"x":[1]}"#
        )
        try await store.ok("branch", "delete", "chat", "alt")
        try await store.ok("clear", "chat")
        let output = try await store.ok("log", "--json")
        let lines = output.split(separator: "\n").map(String.init)
        #expect(lines.count == 8)
        // Verbatim: the items array holds the exact text given.
        #expect(lines[0].contains(#""items":["# + first + "," + second + "]"))
        let events = try lines.map { try CLIStore.json($0) }
        #expect(events.map { $0["seq"]?.intValue } == Array(1...8))
        #expect(
            events.map { $0["kind"]?.stringValue } == [
                "items_added", "item_popped", "items_added", "branch_created", "branch_switched", "usage_recorded",
                "branch_deleted", "session_cleared",
            ]
        )
        for event in events {
            #expect(event["session"]?.stringValue == "chat")
            let time = try #require(event["time"]?.stringValue)
            #expect(Self.isMicrosecondTime(time), "\(time)")
        }
        #expect(lines[1].contains(#""item":"# + second))
        #expect(events[1]["item_seq"]?.intValue == 1)
        #expect(events[1]["item_index"]?.intValue == 1)
        #expect(events[3]["branch"]?.stringValue == "alt")
        #expect(events[3]["source_branch"]?.stringValue == "main")
        #expect(events[3]["from_turn"]?.intValue == 2)
        #expect(events[4]["previous_branch"]?.stringValue == "alt")
        #expect(events[5]["turn"]?.intValue == 2)
        #expect(events[5]["usage"]?["total_tokens"]?.intValue == 5)
        #expect(events[5]["usage"]?["details"] == (try JSONValue(parsing: #"{"x":[1]}"#)))
        #expect(events[6]["switched_to_main"]?.boolValue == false)

        let filtered = try await store.ok("log", "--json", "--kind", "item_popped", "--kind", "session_cleared")
        #expect(filtered.split(separator: "\n").map { try? CLIStore.json(String($0))["seq"]?.intValue } == [2, 8])
        let range = try await store.ok("log", "--json", "--from-seq", "3", "--to-seq", "4")
        #expect(range.split(separator: "\n").count == 2)
        #expect(try await store.ok("log", "--session", "other") == "")
        let since = try #require(events[6]["time"]?.stringValue)
        #expect(try await store.ok("log", "--json", "--since", since).split(separator: "\n").count == 2)
        #expect(try await store.run("log", "--kind", "nope").status == 64)
        #expect(try await store.run("log", "--since", "last tuesday").status == 64)
    }

    @Test("log for people: one line per event with a summary")
    func logText() async throws {
        let store = try CLIStore()
        try await store.ok("add", "chat", input: #"[{"role":"user","content":"line\nbreak"},{"a":1}]"#)
        try await store.ok("pop", "chat")
        let lines = try await store.ok("log").split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        let fields = lines[0].components(separatedBy: "  ")
        #expect(fields[0] == "1")
        #expect(Self.isMicrosecondTime(fields[1]))
        #expect(Array(fields[2...4]) == ["chat", "main", "items_added"])
        #expect(fields[5] == #"2 items: {"role":"user","content":"line\nbreak"}"#)
        #expect(lines[1].contains("item_popped  popped {\"a\":1} (added by 1, index 1)"))
    }

    @Test("log --follow prints events other processes write, and stops on SIGINT")
    func follow() async throws {
        let store = try CLIStore()
        try await store.ok("add", "chat", input: #"{"role":"user","content":"before"}"#)
        let following = try store.runner.start([
            "log", "--follow", "--json", "--session", "chat", "--store", store.path,
        ])
        #expect(try await following.waitForOutput(containing: "before"))
        // The follower opens the store for writing for a moment once more before it follows
        // (see LogCommand.run), which a busy machine can stretch past the default --lock-wait.
        try await store.ok("add", "other", "--lock-wait", "60000", input: #"{"role":"user","content":"elsewhere"}"#)
        try await store.ok("add", "chat", "--lock-wait", "60000", input: #"{"role":"user","content":"after"}"#)
        #expect(try await following.waitForOutput(containing: "after"))
        following.send(SIGINT)
        let result = await following.wait()
        #expect(result.status == 0)
        #expect(result.lines.map { try? CLIStore.json($0)["seq"]?.intValue } == [1, 3])
    }

    @Test("log --follow --to-seq stops by itself")
    func followUntil() async throws {
        let store = try CLIStore()
        try await store.ok("add", "chat", input: #"{"a":1}"#)
        let following = try store.runner.start(["log", "--follow", "--to-seq", "2", "--store", store.path])
        #expect(try await following.waitForOutput(containing: "items_added"))
        // As in follow(): the follower may still hold the lock for a moment.
        try await store.ok("add", "chat", "--lock-wait", "60000", input: #"{"b":2}"#)
        let result = await following.wait()
        #expect(result.status == 0)
        #expect(result.lines.count == 2)
    }

    @Test("log --follow --until stops by itself once the store holds a later event")
    func followUntilTime() async throws {
        let store = try CLIStore()
        try await store.ok("add", "chat", input: #"{"a":1}"#)
        // Every event is later than this: the history is empty, and nothing can follow.
        let following = try store.runner.start([
            "log", "--follow", "--until", "2020-01-01T00:00:00Z", "--store", store.path,
        ])
        let result = await following.wait(timeoutSeconds: 30)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.lines.isEmpty, "\(result.lines)")
        // With --until in the future it follows as before, printing the next event.
        let future = try store.runner.start([
            "log", "--follow", "--json", "--until", "2999-01-01T00:00:00Z", "--store", store.path,
        ])
        #expect(try await future.waitForOutput(containing: #""seq":1"#))
        try await store.ok("add", "chat", "--lock-wait", "60000", input: #"{"b":2}"#)
        #expect(try await future.waitForOutput(containing: #""seq":2"#))
        future.send(SIGINT)
        #expect(await future.wait().status == 0)
    }

    @Test("log --follow on an idle log ends once nobody reads its output (| head -1), as a write would")
    func followUntilReaderGone() async throws {
        let store = try CLIStore()
        try await store.ok("add", "chat", input: #"{"a":1}"#)
        // `true` closes the pipe at once; nothing after sequence 1 is ever written. Without the
        // check, the follower waits for an event to write, and `timeout` ends it (124).
        let shell = CLIRunner(executablePath: "/bin/sh")
        let result = try await shell.run([
            "-c", #"( timeout 20 "$0" log --follow --from-seq 2 --store "$1"; echo "status $?" >&2 ) | true"#,
            store.runner.executablePath, store.path,
        ])
        #expect(result.standardError == "status 141\n", "\(result.standardError)")
    }

    static func isMicrosecondTime(_ text: String) -> Bool {
        text.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z/) != nil
    }
}
