import AgentLedgerTestSupport
import Foundation
import Testing

@Suite("CLI import: a command the target store refuses")
struct CLIImportRefusalTests {
    @Test(
        "is reported with its line and skipped, as are the events on its branch; the rest is written; exit status 65"
    )
    func refusedLine() async throws {
        let source = try CLIStore()
        try await source.ok("add", "s", input: #"{"role":"user","content":"hi"}"#)
        try await source.ok("branch", "create", "s", "--from-turn", "1", "--name", "x")
        try await source.ok("add", "s", input: #"{"role":"user","content":"on x"}"#)
        let export = try await source.ok("export")
        let target = try CLIStore()
        try await target.ok("add", "s", input: #"{"role":"user","content":"old"}"#)
        try await target.ok("branch", "create", "s", "--from-turn", "1", "--name", "x")
        // A blank line first, so that line numbers and event positions differ.
        let result = try await target.run("import", "--append", input: "\n" + export)
        #expect(result.status == 65, "\(result.standardError)")
        #expect(
            result.standardOutput.contains("refused: line 3: branch name 'x' was already used"),
            "\(result.standardOutput)"
        )
        // The add meant for the source's branch x is refused too: the target never switched to
        // a branch of the source's, so writing it would have put it on 'main'.
        #expect(
            result.standardOutput.contains(
                "refused: line 4: session 's' is on branch 'main', not 'x' where the event was written"
            ),
            "\(result.standardOutput)"
        )
        #expect(result.standardOutput.contains("imported 2 events"), "\(result.standardOutput)")
        let main = try await target.ok("items", "s", "--branch", "main")
        #expect(main.contains("hi") && !main.contains("on x"), "\(main)")
    }

    @Test(
        "--max-item-bytes sets the largest item add and import accept: the export of items over the default imports with it, and the refusals name it"
    )
    func maxItemBytes() async throws {
        let item = #"{"role":"user","content":"\#(String(repeating: "x", count: 1500))"}"#
        let source = try CLIStore()
        let refused = try await source.run("add", "s", "--max-item-bytes", "1K", input: item)
        #expect(refused.status == 65, "\(refused.standardError)")
        #expect(refused.standardError.contains("over the limit of 1024 (--max-item-bytes)"), "\(refused.standardError)")
        try await source.ok("add", "s", "--max-item-bytes", "2k", input: item)
        let export = try await source.ok("export")

        let target = try CLIStore()
        let small = try await target.run("import", "--max-item-bytes", "1024", input: export)
        #expect(small.status == 65, "\(small.standardError)")
        #expect(
            small.standardError.contains("over the limit of 1024 (--max-item-bytes); nothing was imported"),
            "\(small.standardError)"
        )
        try await target.ok("import", "--max-item-bytes", "2KiB", input: export)
        #expect(try await target.ok("items", "s") == "[\(item)]\n")

        for bad in ["0", "513M", "1x", "M", "-1"] {
            let result = try await target.run("items", "s", "--max-item-bytes", bad)
            #expect(result.status == 64, "\(bad): \(result.standardError)")
            #expect(result.standardError.contains("--max-item-bytes"), "\(bad): \(result.standardError)")
        }
    }

    @Test(
        "an item over --max-item-bytes refuses the whole import before anything is written, naming its line, so that the import can be run again with a larger limit"
    )
    func oversizedItemRefusesTheImport() async throws {
        let source = try CLIStore()
        try await source.ok("add", "chat", input: #"{"role":"user","content":"first"}"#)
        let reply = #"{"role":"assistant","content":"\#(String(repeating: "x", count: 2000))"}"#
        try await source.ok("add", "chat", input: reply)
        try await source.ok("add", "chat", input: #"{"role":"user","content":"third"}"#)
        let export = try await source.ok("export")
        let target = try CLIStore()
        // A blank line first, so that line numbers and event positions differ.
        let small = try await target.run("import", "--max-item-bytes", "1K", input: "\n" + export)
        #expect(small.status == 65, "\(small.standardError)")
        #expect(
            small.standardError.hasPrefix("agentledger: line 3: item 0 is 2033 bytes, over the limit of 1024 "),
            "\(small.standardError)"
        )
        #expect(small.standardOutput.isEmpty, "\(small.standardOutput)")
        #expect(!FileManager.default.fileExists(atPath: target.path + "/log"), "nothing written")
        try await target.ok("import", "--max-item-bytes", "4K", input: export)
        #expect(
            try await target.ok("items", "chat")
                == "[\(#"{"role":"user","content":"first"}"#),\n\(reply),\n\(#"{"role":"user","content":"third"}"#)]\n"
        )
    }

    @Test("an event whose commands are all refused is reported once, with its first refusal")
    func oneLinePerRefusedEvent() async throws {
        let store = try CLIStore()
        // An add on a branch this new store does not have: the switch to it is refused, and so
        // is the add that would otherwise land on main.
        let line = #"{"seq":1,"session":"a","branch":"b","kind":"items_added","items":[{"a":1}]}"#
        let result = try await store.run("import", input: line + "\n")
        #expect(result.status == 65, "\(result.standardError)")
        let refusals = result.standardOutput.split(separator: "\n").filter { $0.hasPrefix("refused: ") }
        #expect(refusals.count == 1, "\(result.standardOutput)")
        #expect(refusals.first?.hasPrefix("refused: line 1: branch 'b'") == true, "\(result.standardOutput)")
        #expect(try await store.ok("items", "a") == "[]\n")
    }

    @Test("an export imported twice is refused the second time, nothing written, unless --append")
    func importedTwice() async throws {
        let source = try CLIStore()
        try await source.ok("add", "s", input: #"{"role":"user","content":"hi"}"#)
        let export = try await source.ok("export")
        let target = try CLIStore()
        try await target.ok("import", input: export)
        let again = try await target.run("import", input: export)
        #expect(again.status == 65, "\(again.standardError)")
        #expect(again.standardError.contains("session 's' already exists in this store"), "\(again.standardError)")
        #expect(again.standardError.hasSuffix("(--append)\n"), "\(again.standardError)")
        #expect(try await target.ok("items", "s").components(separatedBy: #""content":"hi""#).count == 2)
        try await target.ok("import", "--append", input: export)
        #expect(try await target.ok("items", "s").components(separatedBy: #""content":"hi""#).count == 3)
    }

    @Test("a name no store can hold is refused with its line before anything is written")
    func invalidNameLine() async throws {
        let good = #"{"seq":1,"kind":"items_added","session":"ok","branch":"main","items":[{"a":1}]}"#
        let store = try CLIStore()
        for bad in [
            #"{"seq":2,"kind":"items_added","session":"a\u0000b","branch":"main","items":[{"a":1}]}"#,
            #"{"seq":2,"kind":"items_added","session":"ok","branch":"  ","items":[{"a":1}]}"#,
        ] {
            let result = try await store.run("import", input: good + "\n" + bad + "\n")
            #expect(result.status == 65, "\(result.standardError)")
            #expect(result.standardError.hasPrefix("agentledger: line 2: the "), "\(result.standardError)")
        }
        #expect(!FileManager.default.fileExists(atPath: store.path + "/log"), "nothing written")
    }
}
