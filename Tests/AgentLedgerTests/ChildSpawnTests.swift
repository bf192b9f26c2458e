import AgentLedgerTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The children of the tests start as a shell starts a command: no signal blocked, none
/// ignored, whatever the thread that spawns them blocks or the test process ignores.
@Suite("ChildSpawn: the signal state of a child")
struct ChildSpawnTests {
    /// The signals of `field` (`SigBlk`, `SigIgn`) in `/proc/<pid>/status` text, a bit per
    /// signal (bit 0 is signal 1).
    static func signalSet(_ field: String, in status: String) -> UInt64? {
        let prefix = field + ":"
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) else {
            return nil
        }
        return UInt64(line.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces), radix: 16)
    }

    /// glibc's own signals (32 and 33), which `posix_spawn` leaves ignored in every child.
    static let internalSignals: UInt64 = 0b11 << 31

    @Test("a child blocks no signal, though the spawning thread blocks most (libdispatch's threads do)")
    func noBlockedSignal() async throws {
        var blocked = sigset_t()
        pthread_sigmask(SIG_BLOCK, nil, &blocked)
        // A thread of Swift concurrency's pool (libdispatch) blocks SIGINT and SIGTERM, among
        // others: the case this test is about.
        let threadBlocks = sigismember(&blocked, SIGTERM) == 1
        let child = try ChildSpawn.run("/bin/cat", ["/proc/self/status"])
        #expect(child.status == 0, "\(child.output)")
        #expect(Self.signalSet("SigBlk", in: child.output) == 0, "this thread blocks SIGTERM: \(threadBlocks)")
    }

    @Test("a child does not inherit a signal this process ignores")
    func noIgnoredSignal() throws {
        // SIGHUP, which nohup ignores: no test and no library of this process handles it.
        var ignore = sigaction()
        ignore.__sigaction_handler.sa_handler = SIG_IGN
        var previous = sigaction()
        #expect(sigaction(SIGHUP, &ignore, &previous) == 0)
        defer { sigaction(SIGHUP, &previous, nil) }
        let child = try ChildSpawn.run("/bin/cat", ["/proc/self/status"])
        #expect(child.status == 0, "\(child.output)")
        let ignored = Self.signalSet("SigIgn", in: child.output).map { $0 & ~Self.internalSignals }
        #expect(ignored == 0, "\(child.output)")
    }

    @Test("SIGTERM ends a CLIRunner child at once, with status 128 + 15")
    func terminate() async throws {
        let runner = CLIRunner(executablePath: "/bin/sleep")
        let running = try runner.start(["30"])
        // sleep sets up no signal handling: SIGTERM ends it, unless it came blocked.
        try await Task.sleep(for: .milliseconds(100))
        running.send(SIGTERM)
        let result = await running.wait(timeoutSeconds: 10)
        #expect(result.status == 128 + SIGTERM)
    }
}
