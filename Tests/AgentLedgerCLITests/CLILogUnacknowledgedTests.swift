import AgentLedgerTestSupport
import Foundation
import Testing

@testable import AgentLedger

/// A frame another process's writer wrote and then cut again (its write failed before it was
/// acknowledged: a full disk at the read model's COMMIT), whose sequence numbers the next
/// write takes: `log` and `log --follow` must never print it, nor skip the events after it.
@Suite("CLI log: a frame cut again by its writer")
struct CLILogUnacknowledgedTests {
    /// Appends to the log of `ledger` a valid frame holding one add of `text`, as its writer
    /// would write it, without the writer or its read model knowing; returns the segment's path
    /// and its size before.
    static func appendUnacknowledgedFrame(_ ledger: Ledger, text: String) throws -> (path: String, size: Int) {
        try appendUnacknowledgedFrame(store: ledger.directory, text: text)
    }

    /// The same, to the log of the store at `directory`.
    static func appendUnacknowledgedFrame(store directory: String, text: String) throws -> (path: String, size: Int) {
        let reader = try LogReader.open(directory: directory)
        let event = LedgerEvent(
            sequence: reader.lastSequence + 1,
            timestampMicros: Int64(Date().timeIntervalSince1970 * 1e6),
            sessionID: "chat",
            branch: "main",
            payload: .itemsAdded([ItemFactory.user(text)])
        )
        let encoder = try FrameEncoder(compressionLevel: 3, dictionary: true)
        _ = try EventCodec.encode([event]).withUnsafeBytes {
            try encoder.encode(
                firstSequence: event.sequence,
                eventCount: 1,
                payload: $0,
                previousHash: try #require(FrameHash(bytes: reader.headHash))
            )
        }
        let path = directory + "/log/" + (try LogFileBytes.list(directory + "/log").sorted().last ?? "")
        let size = try LogFileBytes.size(path)
        try LogFileBytes.append(encoder.encodedFrame, to: path)
        return (path, size)
    }

    @Test("log and log --follow print only acknowledged events, never a frame cut again, and skip none")
    func frameCutAgain() async throws {
        let store = try CLIStore()
        // The writer: this process, holding the lock; the CLI reads read-only beside it.
        let ledger = try await Ledger.open(at: store.path, options: LedgerOptions(durability: .none))
        try await ledger.session("chat").addItems([ItemFactory.user("one")])
        try await ledger.session("chat").addItems([ItemFactory.user("two")])
        let following = try store.runner.start(["log", "--follow", "--json", "--store", store.path])
        #expect(try await following.waitForOutput(containing: "two"))

        let (segment, size) = try Self.appendUnacknowledgedFrame(ledger, text: "never acknowledged")
        let listed = try await store.run("log", "--json")
        #expect(listed.status == 0, "\(listed.standardError)")
        #expect(!listed.standardOutput.contains("never acknowledged"), "\(listed.standardOutput)")
        // Several of the follower's reads while the frame is there; then the writer cuts it and
        // the next writes take its sequence number.
        try await Task.sleep(for: .milliseconds(700))  // the follower reads every 200 ms
        try LogFileBytes.truncate(segment, to: size)
        try await ledger.session("chat").addItems([ItemFactory.user("three")])
        try await ledger.session("chat").addItems([ItemFactory.user("four")])
        #expect(try await following.waitForOutput(containing: "four"))
        following.send(SIGINT)
        let result = await following.wait()
        try await ledger.close()
        #expect(result.status == 0, "\(result.standardError)")
        #expect(!result.standardOutput.contains("never acknowledged"), "\(result.standardOutput)")
        #expect(result.lines.map { try? CLIStore.json($0)["seq"]?.intValue } == [1, 2, 3, 4], "\(result.lines)")
    }

    @Test(
        "the library's events(), of the writer and of a read-only handle, never yield a frame past the acknowledged head"
    )
    func libraryEventsEndAtTheHead() async throws {
        let store = try CLIStore()
        let ledger = try await Ledger.open(at: store.path, options: LedgerOptions(durability: .none))
        try await ledger.session("chat").addItems([ItemFactory.user("one")])
        let reader = try await Ledger.open(at: store.path, options: LedgerOptions(durability: .none, readOnly: true))
        let (segment, size) = try Self.appendUnacknowledgedFrame(ledger, text: "never acknowledged")
        for handle in [ledger, reader] {
            var sequences: [UInt64] = []
            for try await event in try handle.events() {
                sequences.append(event.sequence)
            }
            #expect(sequences == [1], "read-only: \(handle.isReadOnly)")
        }
        try LogFileBytes.truncate(segment, to: size)
        try await ledger.session("chat").addItems([ItemFactory.user("two")])
        var contents: [String] = []
        for try await event in try reader.events() {
            if case .itemsAdded(let items) = event.payload {
                contents += items.map(\.json)
            }
        }
        #expect(contents == [ItemFactory.user("one").json, ItemFactory.user("two").json])
        try await reader.close()
        try await ledger.close()
    }

    @Test("with no writer, a read-only handle's events() reach the log's end, past what the read model committed")
    func noWriterReadsToTheEnd() async throws {
        let store = try CLIStore()
        let ledger = try await Ledger.open(at: store.path, options: LedgerOptions(durability: .none))
        try await ledger.session("chat").addItems([ItemFactory.user("one")])
        try await ledger.close()
        // What a writer killed between acknowledging a frame and committing it leaves: a frame
        // the read model does not have, and no writer.
        _ = try Self.appendUnacknowledgedFrame(ledger, text: "acknowledged, then killed")
        let reader = try await Ledger.open(at: store.path, options: LedgerOptions(durability: .none, readOnly: true))
        var sequences: [UInt64] = []
        for try await event in try reader.events() {
            sequences.append(event.sequence)
        }
        #expect(sequences == [1, 2])
        try await reader.close()
        let exported = try await store.run("export")
        #expect(exported.status == 0 && exported.standardOutput.contains("acknowledged, then killed"))
        // A follower with no writer prints it too, and stops there by itself.
        let following = try store.runner.start(["log", "--follow", "--to-seq", "2", "--json", "--store", store.path])
        let followed = await following.wait(timeoutSeconds: 30)
        #expect(followed.status == 0 && followed.lines.count == 2, "\(followed.lines) \(followed.standardError)")
        #expect(followed.standardOutput.contains("acknowledged, then killed"))
    }

    @Test("a follower prints a frame whose writer died after acknowledging it, once the writer is gone")
    func writerDiesWhileFollowed() async throws {
        let store = try CLIStore()
        try await store.ok("add", "chat", input: #"{"role":"user","content":"one"}"#)
        // The writer: this process holds the store's lock, as a writer does, with no ledger
        // open, so that nothing here catches up the read model.
        let lock = open(store.path + "/LOCK", O_RDWR | O_CLOEXEC)
        try #require(lock >= 0 && flock(lock, LOCK_EX | LOCK_NB) == 0)
        var locked = true
        defer {
            if locked {
                close(lock)
            }
        }
        let following = try store.runner.start(["log", "--follow", "--json", "--store", store.path])
        #expect(try await following.waitForOutput(containing: "one"))
        // Written and fsynced: acknowledged, and the writer killed before its COMMIT.
        _ = try Self.appendUnacknowledgedFrame(store: store.path, text: "acknowledged, then killed")
        try await Task.sleep(for: .milliseconds(700))  // the follower reads every 200 ms
        // While the writer lives, the frame may still be cut again: not printed yet.
        #expect(!following.standardOutput.contains("acknowledged, then killed"))
        close(lock)
        locked = false
        #expect(try await following.waitForOutput(containing: "acknowledged, then killed"))
        following.send(SIGINT)
        let result = await following.wait()
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.lines.map { try? CLIStore.json($0)["seq"]?.intValue } == [1, 2], "\(result.lines)")
    }
}
