import AgentLedger
import AgentLedgerTestSupport
import Foundation
import Synchronization
import Testing

@Suite("CLI checkout: interrupted, inside the source")
struct CLICheckoutTests {
    /// The last listing of a directory, taken by a watching thread.
    final class Listing: Sendable {
        let names = Mutex<[String]>([])
    }

    /// Events in the source store, of 1,000 items each: enough that a checkout takes a while to
    /// copy and replay.
    static let eventCount = 20

    /// Fills the store of `store` with ``eventCount`` events through the library (fast).
    static func fill(_ store: CLIStore) async throws {
        let ledger = try await Ledger.open(at: store.path, options: LedgerOptions(durability: .none))
        let session = ledger.session("s")
        for batch in 0..<eventCount {
            try await session.addItems((0..<1000).map { ItemFactory.user("batch \(batch) item \($0)") })
        }
        #expect(try await ledger.headSequence() == UInt64(eventCount))
        try await ledger.close()
    }

    @Test("a checkout killed while it copies leaves no store at DIR; the next one removes its staging directory")
    func killedCheckout() async throws {
        let store = try CLIStore()
        try await Self.fill(store)
        let target = store.root + "/past"
        let staging = ".past.checkout-"
        let running = try store.runner.start([
            "checkout", "--store", store.path, "--as-of-seq", "\(Self.eventCount)", "--into", target,
        ])
        // Kill it as soon as anything of the copy appears: its staging directory, or the store.
        // Watched from a thread of its own, not a task: on a busy machine the cooperative pool
        // can wake a polling task only after the checkout has ended.
        let listing = Listing()
        let root = store.root
        let signalled = await running.send(SIGKILL, intervalMicroseconds: 200) {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
            listing.names.withLock { $0 = names }
            return FileManager.default.fileExists(atPath: target + "/log")
                || names.contains { $0.hasPrefix(staging) }
        }
        let seen = listing.names.withLock { $0 }
        let killed = await running.wait()
        #expect(signalled, "nothing of the copy appeared before the checkout ended: \(seen)")
        #expect(killed.status == 128 + SIGKILL, "the checkout ended before it was killed: \(killed.standardError)")

        // No store at DIR with fewer events than asked for: none at all, or a complete one.
        if FileManager.default.fileExists(atPath: target + "/log") {
            let copy = try await Ledger.verifyLog(at: target)
            #expect(copy.lastSequence == UInt64(Self.eventCount), "a killed checkout left a short store: \(seen)")
        }
        #expect(seen.contains { $0.hasPrefix(staging) }, "no staging directory was seen: \(seen)")

        // The next checkout into DIR removes the killed one's staging directory and completes.
        let again = try await store.run("checkout", "--as-of-seq", "\(Self.eventCount)", "--into", target)
        #expect(again.status == 0, "\(again.standardError)")
        let copy = try await Ledger.verifyLog(at: target)
        #expect(copy.isIntact && copy.lastSequence == UInt64(Self.eventCount))
        let left = try FileManager.default.contentsOfDirectory(atPath: store.root)
        #expect(!left.contains { $0.hasPrefix(staging) }, "\(left)")
    }

    @Test("checkout into a directory inside the source store exits 65 and writes nothing there")
    func insideSource() async throws {
        let store = try CLIStore()
        try await store.ok("add", "s", input: #"{"role":"user","content":"one"}"#)
        let logBefore = try FileManager.default.contentsOfDirectory(atPath: store.path + "/log")
        for target in [store.path + "/log", store.path + "/log/sub", store.path + "/x/../log", store.path] {
            let result = try await store.run("checkout", "--as-of-seq", "1", "--into", target)
            #expect(result.status == 65, "\(target): \(result.standardError)")
            #expect(result.standardError.contains("inside the store being checked out"), "\(result.standardError)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.path + "/log") == logBefore)
        // Later commands on the source find nothing to warn about.
        let stats = try await store.run("stats")
        #expect(stats.status == 0 && stats.standardError.isEmpty, "\(stats.standardError)")
    }

    @Test("checkout --into '' (an unset variable) is a usage error, as --store '' is")
    func emptyDestination() async throws {
        let store = try CLIStore()
        try await store.ok("add", "s", input: #"{"role":"user","content":"one"}"#)
        let result = try await store.run("checkout", "--as-of-seq", "1", "--into", "")
        #expect(result.status == 64, "\(result.standardError)")
        #expect(result.standardError.contains("--into is empty"), "\(result.standardError)")
    }

    @Test("checkout past the head copies the whole log and says on standard error that it ends first")
    func pastTheHead() async throws {
        let store = try CLIStore()
        try await store.ok("add", "s", input: #"{"role":"user","content":"one"}"#)
        try await store.ok("add", "s", input: #"{"role":"user","content":"two"}"#)
        let past = try await store.run("checkout", "--as-of-seq", "9", "--into", store.root + "/past")
        #expect(past.status == 0, "\(past.standardError)")
        #expect(past.standardOutput == "checked out 2 events into \(store.root)/past\n")
        #expect(past.standardError.contains("the log ends at sequence 2, before 9"), "\(past.standardError)")
        let exact = try await store.run("checkout", "--as-of-seq", "2", "--into", store.root + "/exact")
        #expect(exact.status == 0 && exact.standardError.isEmpty, "\(exact.standardError)")
    }
}
