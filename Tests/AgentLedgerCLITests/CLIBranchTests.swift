import AgentLedger
import AgentLedgerTestSupport
import Foundation
import Testing

@Suite("CLI branches, turns, tools and usage")
struct CLIBranchTests {
    /// Three user turns, with tool calls in turns 1 and 2.
    static let conversation = [
        #"{"role":"system","content":"be brief"}"#,
        #"{"role":"user","content":"What's the weather in Paris?"}"#,
        #"{"type":"function_call","name":"get_weather","arguments":"{\"city\":\"Paris\"}","call_id":"c1"}"#,
        #"{"type":"function_call_output","call_id":"c1","output":"sunny"}"#,
        #"{"role":"assistant","content":"Sunny."}"#,
        #"{"role":"user","content":"And 100% of LONDON_town?"}"#,
        #"{"type":"function_call","name":"get_weather","arguments":"{}","call_id":"c2"}"#,
        #"{"type":"function_call","name":"get_weather","arguments":"{}","call_id":"c3"}"#,
        #"{"type":"web_search_call","id":"w1","status":"completed"}"#,
        #"{"role":"user","content":[{"type":"input_text","text":"Thanks a lot"}]}"#,
    ]

    static func store() async throws -> CLIStore {
        let store = try CLIStore()
        try await store.ok("add", "chat", input: conversation.joined(separator: "\n"))
        return store
    }

    @Test("turns, find and tools as tables and JSON")
    func turnsFindTools() async throws {
        let store = try await Self.store()
        let turns = try CLIStore.json(try await store.ok("turns", "chat", "--json"))
        let list = try #require(turns.arrayValue)
        #expect(list.map { $0["turn"]?.intValue } == [1, 2, 3])
        #expect(list[0]["content"]?.stringValue == "What's the weather in Paris?")
        #expect(list[0]["seq"]?.intValue == 1)
        #expect(list[2]["content"]?.stringValue?.contains("Thanks a lot") == true)
        let table = try await store.ok("turns", "chat").split(separator: "\n").map(String.init)
        #expect(table.count == 4)
        #expect(table[0].hasPrefix("TURN  SEQ  TIME"))
        #expect(table[1].hasPrefix("1     1    20") && table[1].hasSuffix("What's the weather in Paris?"))

        let found = try CLIStore.json(try await store.ok("find", "chat", "100% of london_", "--json"))
        #expect(found.arrayValue?.map { $0["turn"]?.intValue } == [2])
        #expect(try CLIStore.json(try await store.ok("find", "chat", "role", "--json")).arrayValue?.isEmpty == true)
        #expect(try await store.ok("find", "chat", "thanks").contains("Thanks a lot"))

        let tools = try CLIStore.json(try await store.ok("tools", "chat", "--json"))
        let uses = try #require(tools.arrayValue).map {
            "\($0["turn"]?.intValue ?? -1) \($0["tool"]?.stringValue ?? "") \($0["calls"]?.intValue ?? -1)"
        }
        #expect(uses.sorted() == ["1 get_weather 1", "2 get_weather 2", "2 web_search_call 1"])
        let toolTable = try await store.ok("tools", "chat").split(separator: "\n").map(String.init)
        #expect(toolTable[0] == "TURN  TOOL             CALLS")
        #expect(toolTable.count == 4)
    }

    @Test("turns --json escapes quotes, backslashes and control characters, and keeps other text as it is")
    func turnsJSONEscapes() async throws {
        let store = try CLIStore()
        let texts = ["plain words, été, 😀", "tab\there \"quoted\" back\\slash \u{01}\u{1F} end"]
        let items = try texts.map { text in
            #"{"role":"user","content":"# + String(decoding: try JSONEncoder().encode(text), as: UTF8.self) + "}"
        }
        try await store.ok("add", "chat", input: items.joined(separator: "\n"))
        let output = try await store.ok("turns", "chat", "--json")
        let turns = try #require(try CLIStore.json(output).arrayValue)
        #expect(turns.map { $0["content"]?.stringValue } == texts)
        #expect(output.contains(#""content":"plain words, été, 😀""#), "\(output)")
        #expect(output.contains(#"tab\there \"quoted\" back\\slash \u0001\u001f end"#), "\(output)")
    }

    @Test("turns previews and tools are the SDK's: unicode kept in list previews, nameless calls under null")
    func sdkPreviewsAndNamelessTools() async throws {
        let store = try CLIStore()
        let items = [
            #"{"role":"user","content":[{"type":"input_text","text":"été"}]}"#,
            #"{"type":"function_call","arguments":"{}","call_id":"c1"}"#,
            #"{"type":"function_call","name":7}"#,
            #"{"role":"user","content":null}"#,
        ]
        try await store.ok("add", "chat", input: items.joined(separator: "\n"))
        let turns = try #require(try CLIStore.json(try await store.ok("turns", "chat", "--json")).arrayValue)
        #expect(turns.map { $0["preview"]?.stringValue } == [#"[{"type": "input_text", "text": "été"}]"#, "null"])
        let tools = try #require(try CLIStore.json(try await store.ok("tools", "chat", "--json")).arrayValue)
        #expect(tools.map { $0["tool"]?.isNull } == [true, false])
        #expect(tools.map { $0["tool"]?.stringValue } == [nil, "7"])
        let table = try await store.ok("tools", "chat").split(separator: "\n").map(String.init)
        #expect(table == ["TURN  TOOL    CALLS", "1     (none)  1", "1     7       1"])
    }

    @Test("branch create, list, switch, delete, and add on the current branch")
    func branchLifecycle() async throws {
        let store = try await Self.store()
        #expect(try await store.ok("branch", "create", "chat", "--from-turn", "2", "--name", "retry") == "retry\n")
        // The new branch holds turn 1 and is current: adds go there.
        #expect(try await store.ok("add", "chat", input: #"{"role":"user","content":"Rome instead?"}"#) == "3\n")
        let rome = #"{"role":"user","content":"Rome instead?"}"#
        let retryItems = try await store.ok("items", "chat")
        #expect(retryItems == CLIItemsTests.expectedItems(Array(Self.conversation[0..<5]) + [rome]))
        let mainItems = try await store.ok("items", "chat", "--branch", "main")
        #expect(mainItems == CLIItemsTests.expectedItems(Self.conversation))

        let created = try await store.ok("branch", "create", "chat", "--from-turn-containing", "ROME")
        #expect(created.hasPrefix("branch_from_turn_2_"))
        let list = try CLIStore.json(try await store.ok("branch", "list", "chat", "--json"))
        let branches = try #require(list.arrayValue)
        #expect(branches.map { $0["name"]?.stringValue } == ["main", "retry", String(created.dropLast())])
        #expect(branches.map { $0["current"]?.boolValue } == [false, false, true])
        #expect(branches[1]["parent"]?.stringValue == "main")
        #expect(branches[1]["from_turn"]?.intValue == 2)
        #expect(branches[1]["items"]?.intValue == 6)
        #expect(branches[1]["user_turns"]?.intValue == 2)
        #expect(branches[0]["parent"]?.isNull == true)
        let table = try await store.ok("branch", "list", "chat").split(separator: "\n").map(String.init)
        #expect(table[0].hasPrefix("CURRENT  BRANCH"))
        #expect(table[3].hasPrefix("*        branch_from_turn_2_"))

        // add --branch only checks the current branch.
        let wrong = try await store.run("add", "chat", "--branch", "main", input: #"{"a":1}"#)
        #expect(wrong.status == 65)
        #expect(wrong.standardError.contains("not 'main'"))
        let missing = try await store.run("add", "chat", "--branch", "nonexistent", input: #"{"a":1}"#)
        #expect(missing.status == 65)
        #expect(missing.standardError.contains("branch 'nonexistent' does not exist in session 'chat'"))
        #expect(!missing.standardError.contains("Switch first"), "\(missing.standardError)")
        try await store.ok("branch", "switch", "chat", "retry")
        #expect(try await store.ok("add", "chat", "--branch", "retry", input: #"{"a":1}"#) == "6\n")

        // The branch list as of before the second branch.
        let before = try CLIStore.json(try await store.ok("branch", "list", "chat", "--json", "--as-of-seq", "2"))
        #expect(before.arrayValue?.map { $0["name"]?.stringValue } == ["main", "retry"])

        try await store.ok("branch", "delete", "chat", String(created.dropLast()))
        try await store.ok("branch", "delete", "chat", "retry", "--force")
        let after = try CLIStore.json(try await store.ok("branch", "list", "chat", "--json"))
        #expect(after.arrayValue?.map { $0["name"]?.stringValue } == ["main"])
        #expect(after[0]?["current"]?.boolValue == true)
    }

    @Test("branch errors exit 65 with the message on stderr; bad flags exit 64")
    func branchErrors() async throws {
        let store = try await Self.store()
        try await store.ok("branch", "create", "chat", "--from-turn", "2", "--name", "b")
        let cases: [([String], String)] = [  // the expected part of the message
            (["branch", "create", "chat", "--from-turn", "9"], "turn 9"),
            (["branch", "create", "chat", "--from-turn-containing", "no such text"], "no such text"),
            (["branch", "create", "chat", "--from-turn", "1", "--name", "b"], "'b'"),
            (["branch", "create", "chat", "--from-turn", "1", "--name", "main"], "'main'"),
            (["branch", "create", "chat", "--from-turn", "1", "--name", "  "], "blank"),
            (["branch", "switch", "chat", "nope"], "'nope'"),
            (["branch", "delete", "chat", "main"], "main"),
            (["branch", "delete", "chat", "b"], "current branch"),
            (["branch", "delete", "chat", "nope"], "'nope'"),
            (["items", "chat", "--branch", "nope"], "'nope'"),
            (["turns", "chat", "--branch", "nope"], "'nope'"),
            (["tools", "chat", "--branch", "nope"], "'nope'"),
            (["usage", "show", "chat", "--branch", "nope"], "'nope'"),
        ]
        for (arguments, expected) in cases {
            let result = try await store.run(arguments)
            #expect(result.status == 65, "\(arguments): \(result.standardError)")
            #expect(result.standardError.hasPrefix("agentledger: "), "\(arguments)")
            #expect(result.standardError.contains(expected), "\(arguments): \(result.standardError)")
        }
        #expect(try await store.run("branch", "create", "chat").status == 64)
        #expect(
            try await store.run("branch", "create", "chat", "--from-turn", "1", "--from-turn-containing", "x").status
                == 64
        )
        // Nothing above changed the session: still on b, with main and b.
        let list = try CLIStore.json(try await store.ok("branch", "list", "chat", "--json"))
        #expect(list.arrayValue?.map { $0["name"]?.stringValue } == ["main", "b"])
        #expect(list[1]?["current"]?.boolValue == true)
    }

    @Test(
        "a turn below 1 is a usage error (64), a turn the branch does not have invalid data (65): for usage show as for branch create"
    )
    func unknownTurn() async throws {
        let store = try await Self.store()
        try await store.ok("add", "chat", input: #"{"role":"user","content":"a fourth turn, at seq 2"}"#)
        let cases: [([String], Int32, String)] = [  // the status and the expected part of the message
            (
                ["usage", "show", "chat", "--turn", "99"], 65,
                "turn 99 does not exist on branch 'main' of session 'chat'"
            ),
            (["usage", "show", "chat", "--turn", "99", "--branch", "main", "--json"], 65, "turn 99 does not exist"),
            (
                ["usage", "show", "chat", "--turn", "4", "--as-of-seq", "1"], 65,
                "turn 4 does not exist on branch 'main' of session 'chat' at that position"
            ),
            (
                ["branch", "create", "chat", "--from-turn", "99"], 65,
                "turn 99 does not exist on branch 'main' of session 'chat'"
            ),
            (["usage", "show", "chat", "--turn", "0"], 64, "--turn must be 1 or more, not 0"),
            (["branch", "create", "chat", "--from-turn", "0"], 64, "--from-turn must be 1 or more, not 0"),
        ]
        for (arguments, status, expected) in cases {
            let result = try await store.run(arguments)
            #expect(result.status == status, "\(arguments): \(result.standardError)")
            #expect(result.standardError.contains(expected), "\(arguments): \(result.standardError)")
            #expect(result.standardOutput.isEmpty, "\(arguments): \(result.standardOutput)")
        }
        // A turn that exists without usage is an empty table, as before.
        let known = try await store.ok("usage", "show", "chat", "--turn", "4")
        #expect(known.hasPrefix("BRANCH  TURN") && known.contains("no usage recorded"), "\(known)")
    }

    @Test("usage record and show; no turn yet and bad details exit 65")
    func usage() async throws {
        let store = try await Self.store()
        let details = #"{"input_tokens_details": {"cached_tokens": 3}}"#
        #expect(
            try await store.ok(
                "usage",
                "record",
                "chat",
                "--requests",
                "1",
                "--input-tokens",
                "10",
                "--output-tokens",
                "5",
                "--total-tokens",
                "15",
                "--details",
                details
            ) == "2\n"
        )
        try await store.ok("branch", "create", "chat", "--from-turn", "3", "--name", "alt")
        try await store.ok(
            "usage",
            "record",
            "chat",
            "--requests",
            "2",
            "--input-tokens",
            "20",
            "--output-tokens",
            "7",
            "--total-tokens",
            "27"
        )
        let shown = try CLIStore.json(try await store.ok("usage", "show", "chat", "--json"))
        let turns = try #require(shown["turns"]?.arrayValue)
        #expect(turns.count == 1)
        #expect(turns[0]["branch"]?.stringValue == "alt")
        #expect(turns[0]["turn"]?.intValue == 2)
        #expect(turns[0]["requests"]?.intValue == 2)
        #expect(turns[0]["details"]?.isNull == true)
        #expect(shown["totals"]?["total_tokens"]?.intValue == 42)  // every branch
        #expect(shown["totals"]?["turns"]?.intValue == 2)
        let main = try CLIStore.json(try await store.ok("usage", "show", "chat", "--branch", "main", "--json"))
        #expect(main["turns"]?[0]?["turn"]?.intValue == 3)
        #expect(main["turns"]?[0]?["details"] == (try JSONValue(parsing: details)))
        #expect(main["totals"]?["total_tokens"]?.intValue == 15)
        let text = try await store.ok("usage", "show", "chat", "--branch", "main", "--turn", "3")
        #expect(
            text.contains("total (branch main): 1 request, 10 input, 5 output, 15 total tokens in 1 turn"),
            "\(text)"
        )
        // The log's summary of the record agrees with its count too.
        let log = try await store.ok("log", "--kind", "usage_recorded", "--session", "chat")
        #expect(log.contains("turn 3: 1 request, 10 input, 5 output, 15 total tokens\n"), "\(log)")
        #expect(try await store.ok("usage", "show", "chat", "--turn", "1").hasPrefix("BRANCH  TURN"))

        let bad = try await store.run(
            "usage",
            "record",
            "chat",
            "--requests",
            "1",
            "--input-tokens",
            "1",
            "--output-tokens",
            "1",
            "--total-tokens",
            "2",
            "--details",
            "{nope"
        )
        #expect(bad.status == 65)
        #expect(bad.standardError.contains("details"))
        try await store.ok("add", "fresh", input: #"{"role":"system","content":"no user yet"}"#)
        let noTurn = try await store.run(
            "usage",
            "record",
            "fresh",
            "--requests",
            "1",
            "--input-tokens",
            "1",
            "--output-tokens",
            "1",
            "--total-tokens",
            "2"
        )
        #expect(noTurn.status == 65)
        #expect(noTurn.standardError.contains("no user turn"))
        let negative = try await store.run(
            "usage",
            "record",
            "chat",
            "--requests",
            "-1",
            "--input-tokens",
            "1",
            "--output-tokens",
            "1",
            "--total-tokens",
            "2"
        )
        #expect(negative.status == 64)
        let none = try CLIStore.json(try await store.ok("usage", "show", "fresh", "--json"))
        #expect(none["totals"]?.isNull == true)
        #expect(none["turns"]?.arrayValue?.isEmpty == true)
    }

    @Test("usage record over the cap of 10^12 exits 65 naming the field; import refuses it too; show keeps working")
    func usageCap() async throws {
        let store = try await Self.store()
        func record(requests: String) async throws -> CLIRunner.Result {
            try await store.run(
                "usage",
                "record",
                "chat",
                "--requests",
                requests,
                "--input-tokens",
                "1",
                "--output-tokens",
                "1",
                "--total-tokens",
                "2"
            )
        }
        let huge = try await record(requests: "9223372036854775807")
        #expect(huge.status == 65)
        #expect(
            huge.standardError.contains("requests is 9223372036854775807, over the cap of 1000000000000 per record")
        )
        #expect(try await record(requests: "1000000000000").status == 0)
        try await store.ok("branch", "create", "chat", "--from-turn", "3", "--name", "alt")
        #expect(try await record(requests: "1000000000000").status == 0)
        #expect(try await record(requests: "1000000000001").status == 65)
        let shown = try CLIStore.json(try await store.ok("usage", "show", "chat", "--json"))
        #expect(shown["totals"]?["requests"]?.intValue == 2_000_000_000_000)

        // An export edited to carry a count over the cap: import refuses it before writing
        // anything, naming the line.
        let exported = try await store.ok("export")
        let edited = exported.replacingOccurrences(
            of: #""requests":1000000000000"#,
            with: #""requests":2000000000000"#
        )
        #expect(edited != exported)
        let other = try CLIStore()
        let imported = try await other.run(["import"], input: edited)
        #expect(imported.status == 65)
        #expect(
            imported.standardError.contains(": the usage's requests is 2000000000000, over the cap of 1000000000000"),
            "\(imported.standardError)"
        )
        #expect(imported.standardError.hasPrefix("agentledger: line "), "\(imported.standardError)")
        #expect(imported.standardError.contains("nothing was imported"), "\(imported.standardError)")
        #expect(!FileManager.default.fileExists(atPath: other.path + "/log"), "nothing written")
        #expect(try await store.run("usage", "show", "chat").status == 0)
    }

    @Test("branch names that differ only in Unicode normalization are two branches to --branch, as to the store")
    func normalizationVariants() async throws {
        let store = try CLIStore()
        let (composed, decomposed) = ("caf\u{E9}", "cafe\u{301}")
        try await store.ok("add", "s", input: #"{"role":"user","content":"hi"}"#)
        try await store.ok("branch", "create", "s", "--from-turn", "1", "--name", composed)
        let read = try await store.run("items", "s", "--branch", decomposed)
        #expect(read.status == 65, "\(read.standardOutput) \(read.standardError)")
        #expect(read.standardError.contains("does not exist"), "\(read.standardError)")
        let add = try await store.run("add", "s", "--branch", decomposed, input: #"{"role":"user","content":"x"}"#)
        #expect(add.status == 65, "\(add.standardOutput) \(add.standardError)")
        // Both exist, the composed one current: an add for the decomposed one is refused.
        try await store.ok("branch", "switch", "s", "main")
        try await store.ok("branch", "create", "s", "--from-turn", "1", "--name", decomposed)
        try await store.ok("branch", "switch", "s", composed)
        let wrong = try await store.run("add", "s", "--branch", decomposed, input: #"{"role":"user","content":"x"}"#)
        #expect(wrong.status == 65, "\(wrong.standardOutput) \(wrong.standardError)")
        #expect(try await store.ok("items", "s", "--branch", composed) == "[]\n")
    }
}
