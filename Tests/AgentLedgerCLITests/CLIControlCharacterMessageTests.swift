import AgentLedger
import AgentLedgerTestSupport
import Testing

@Suite("CLI messages: control characters of quoted names are escaped")
struct CLIControlCharacterMessageTests {
    @Test("an error quoting a session id or branch name with terminal controls prints them as escapes")
    func escapedInErrors() async throws {
        let store = try CLIStore()
        let session = "a\u{1B}[2Jb\u{9B}c\u{7}"
        try await store.ok("add", session, input: #"{"role":"user","content":"hi"}"#)
        for arguments in [
            ["branch", "create", session, "--from-turn", "5"],
            ["branch", "switch", session, "x\u{1B}]0;title\u{7}y"],
        ] {
            let result = try await store.run(arguments)
            #expect(result.status == 65, "\(result.standardError)")
            let message = result.standardError
            #expect(!message.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "\(message)")
            #expect(!message.unicodeScalars.contains { (0x7F...0x9F).contains($0.value) }, "\(message)")
            #expect(message.contains(#"a\u001b[2Jb\u009bc\u0007"#), "\(message)")
            #expect(message.hasSuffix("\n"))
        }
        // The tables escape the same characters, C1 controls included.
        #expect(try await store.ok("sessions").contains(#"a\u001b[2Jb\u009bc\u0007"#))
        // The session itself is stored as it was given.
        let sessions = try CLIStore.json(try await store.ok("sessions", "--json"))
        #expect(sessions[0]?["session"] == .string(session))
    }
}
