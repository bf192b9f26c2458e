import AgentLedger
import AgentLedgerTestSupport
import Testing

@Suite("CLI export: one line per event, whatever line breaks the stored JSON holds")
struct CLIExportLineBreakTests {
    @Test("items and usage details stored with line breaks export as JSON Lines and import byte for byte")
    func lineBreaks() async throws {
        let source = try CLIStore()
        try await source.ok("add", "s", input: "[{\"role\":\"user\",\n\"content\":\"hi\"},\r\n{\"a\":1},{\"b\":\n2}]")
        try await source.ok(
            "usage",
            "record",
            "s",
            "--requests",
            "1",
            "--input-tokens",
            "1",
            "--output-tokens",
            "1",
            "--total-tokens",
            "2",
            "--details",
            "{\n\"x\": 1}"
        )
        try await source.ok("pop", "s")
        let export = try await source.ok("export")
        let lines = export.split(separator: "\n")
        #expect(lines.count == 3, "\(export)")
        for line in lines {
            _ = try CLIStore.json(String(line))
        }
        #expect(lines[0].contains(#""items_exact":["{\"role\":\"user\",\n\"content\":\"hi\"}",null,"#))
        #expect(lines[2].contains(#""item_exact":"{\"b\":\n2}""#))

        // The popped item too, read back by the library as it was stored.
        let popped = try LedgerEvent(exportLine: Array(lines[2].utf8), lineNumber: 3)
        guard case .itemPopped(let item, _, _) = popped.payload else {
            Issue.record("line 3 is not a pop: \(popped)")
            return
        }
        #expect(item.json == "{\"b\":\n2}")

        // An exact text must hold the value on the line: an edit of the line (a redaction) is
        // not undone by it, and a crafted one cannot smuggle in another item.
        let redacted = String(lines[0]).replacingOccurrences(of: #""content":"hi""#, with: #""content":"XX""#)
        #expect(redacted != String(lines[0]))
        for line in [
            redacted, String(lines[0]).replacingOccurrences(of: "\"items_exact\":[", with: "\"items_exact\":[null,"),
        ] {
            #expect(throws: LedgerError.self, "\(line)") {
                _ = try LedgerEvent(exportLine: Array(line.utf8), lineNumber: 1)
            }
        }

        let copy = try CLIStore()
        try await copy.ok("import", input: export)
        #expect(try await copy.ok("items", "s") == (try await source.ok("items", "s")))
        let usage = try await copy.ok("log", "--json")
        #expect(usage.contains(#""details_exact":"{\n\"x\": 1}""#), "\(usage)")
        // The copy exports the same lines, apart from the times it gave the events.
        #expect(Self.withoutTimes(try await copy.ok("export")) == Self.withoutTimes(export))
    }

    /// `export` output without the value of each line's `time` member.
    static func withoutTimes(_ export: String) -> [String] {
        export.split(separator: "\n").map { line in
            guard let start = line.range(of: "\"time\":\""), let end = line[start.upperBound...].firstIndex(of: "\"")
            else {
                return String(line)
            }
            return String(line[..<start.upperBound] + line[end...])
        }
    }
}
