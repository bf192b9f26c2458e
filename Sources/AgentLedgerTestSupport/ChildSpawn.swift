import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Starts the tests' child processes with `posix_spawn`, never with Foundation's `Process`.
///
/// `Process.run()` on Linux (swift-corelibs-foundation up to Swift 6.3.1) lists
/// `/proc/self/fd` and copies each entry's whole 256-byte `d_name`, past the end of the
/// entry; when an entry ends glibc's buffer and the next page is unmapped, the test process
/// dies of SIGSEGV (swift-corelibs-foundation pull request 5472). A fresh-clone `make test`
/// crashed that way in `CLIRunner.start`, once in the few runs of 2026-11-28.
///
/// The child inherits no descriptor but the three standard ones, which `redirect` sets up: a
/// test process holds store locks and pipes of other tests, and a child must not keep them.
/// It blocks no signal and ignores none. It stays in the test process's process group, so
/// that interrupting the test run from a terminal interrupts its children too.
public enum ChildSpawn {
    /// Why a child could not be started.
    public struct LaunchError: Error, CustomStringConvertible {
        /// What failed.
        public let description: String
    }

    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    /// Starts `executable` with `arguments` (without the program name) and exactly the
    /// variables of `environment`, its standard descriptors set up by `redirect`; returns its pid.
    static func spawn(
        _ executable: String,
        arguments: [String],
        environment: [String: String],
        redirect: (inout posix_spawn_file_actions_t) -> Void
    ) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        redirect(&actions)
        closeInheritedDescriptors(&actions)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer {
            for pointer in argv {
                free(pointer)
            }
        }
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0.key + "=" + $0.value) } + [nil]
        defer {
            for pointer in envp {
                free(pointer)
            }
        }
        // The child starts as a shell starts a command: no signal blocked (the spawning thread,
        // one of libdispatch's, blocks SIGINT, SIGTERM and most others, and posix_spawn would
        // pass its mask on), every signal at its default action (one this process ignores
        // stays ignored across exec). Foundation's Process did the same.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var everySignal = sigset_t()
        sigfillset(&everySignal)
        sigdelset(&everySignal, SIGKILL)
        sigdelset(&everySignal, SIGSTOP)
        posix_spawnattr_setsigdefault(&attributes, &everySignal)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw LaunchError(description: "cannot start \(executable): \(String(cString: strerror(result)))")
        }
        return pid
    }

    /// Waits for the child `pid` to end and reaps it: its exit code, or 128 + the signal that
    /// ended it.
    public static func waitForExit(_ pid: Int32) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else {
                return -1
            }
        }
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }

    /// Runs `executable` to its end with this process's environment, standard input
    /// `/dev/null`, and standard output and error into one text, which it returns with the
    /// exit code and the (reaped) process id.
    public static func run(
        _ executable: String,
        _ arguments: [String]
    ) throws -> (status: Int32, output: String, processID: Int32) {
        let directory = try TemporaryDirectory(prefix: "agentledger-child")
        defer { directory.remove() }
        let outputPath = directory.path + "/output"
        let pid = try spawn(executable, arguments: arguments, environment: ProcessInfo.processInfo.environment) {
            posix_spawn_file_actions_addopen(&$0, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&$0, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            posix_spawn_file_actions_adddup2(&$0, 1, 2)
        }
        let status = waitForExit(pid)
        let output = (try? Data(contentsOf: URL(fileURLWithPath: outputPath))) ?? Data()
        return (status, String(decoding: output, as: UTF8.self), pid)
    }

    /// Makes the child close every descriptor above 2 after the standard ones are set up:
    /// `posix_spawn_file_actions_addclosefrom_np` (glibc 2.34) when it exists, else one close
    /// per descriptor open now.
    private static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
        if let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") {
            _ = unsafeBitCast(symbol, to: AddCloseFrom.self)(&actions, 3)
            return
        }
        for descriptor in ReliabilityProcFS.descriptors().keys where descriptor > 2 {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }
    }
}
