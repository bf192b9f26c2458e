import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A child process started with `posix_spawn` (``ChildSpawn``), its standard output collected line by line and
/// its standard error as text, for the crash and multi-process tests.
///
/// The child inherits no descriptor but its three standard ones (standard input is `/dev/null`):
/// a test process holds store locks and pipes of other tests, and a child must not keep them
/// open. Standard output is read by a thread of its own as the child writes, so a test can wait
/// for a record, kill the child at any moment with ``kill(_:)`` (SIGKILL by default), and still
/// read every complete line the child wrote before it died.
///
/// ```swift
/// let child = try ReliabilityChildProcess(executable: path, arguments: ["append", "--store", store])
/// _ = await child.waitForLine(prefix: "open ", timeout: .seconds(10))
/// child.kill()
/// let termination = await child.waitForExit(timeout: .seconds(10))   // .signaled(SIGKILL)
/// let acknowledged = child.lines.filter { $0.hasPrefix("ack ") }
/// ```
///
/// A child still running when the object is released is killed and reaped.
public final class ReliabilityChildProcess: Sendable {
    /// How a child ended.
    public enum Termination: Sendable, Hashable, CustomStringConvertible {
        /// It exited with this code.
        case exited(Int32)
        /// A signal ended it.
        case signaled(Int32)

        /// `exit 0` or `signal 9`.
        public var description: String {
            switch self {
            case .exited(let code): "exit \(code)"
            case .signaled(let signal): "signal \(signal)"
            }
        }
    }

    /// Why a child could not be started.
    public struct LaunchError: Error, CustomStringConvertible {
        /// What failed.
        public let description: String
    }

    private struct State {
        var output: [UInt8] = []
        var lines: [String] = []
        var errorText: [UInt8] = []
        var openStreams = 2
        var termination: Termination?
    }

    /// The state, in an object of its own: the reading threads hold it, not the child object,
    /// so that releasing the child object (and killing the child) does not wait for them.
    private final class Shared: Sendable {
        let state = Mutex(State())
    }

    /// The child's process id.
    public let processID: Int32
    /// When the child was started.
    public let launchedAt: ContinuousClock.Instant
    private let shared = Shared()

    /// Starts `executable` with `arguments` (without the program name) and the environment of
    /// this process, with the variables of `environment` added or replaced.
    public init(executable: String, arguments: [String], environment: [String: String] = [:]) throws {
        var outputPipe: [Int32] = [-1, -1]
        var errorPipe: [Int32] = [-1, -1]
        guard Self.makePipe(&outputPipe) else {
            throw LaunchError(description: "pipe2 failed: \(String(cString: strerror(errno)))")
        }
        guard Self.makePipe(&errorPipe) else {
            let reason = String(cString: strerror(errno))
            close(outputPipe[0])
            close(outputPipe[1])
            throw LaunchError(description: "pipe2 failed: \(reason)")
        }
        var variables = ProcessInfo.processInfo.environment
        variables.merge(environment) { _, new in new }
        let pid: pid_t
        do {
            pid = try ChildSpawn.spawn(executable, arguments: arguments, environment: variables) {
                posix_spawn_file_actions_addopen(&$0, 0, "/dev/null", O_RDONLY, 0)
                posix_spawn_file_actions_adddup2(&$0, outputPipe[1], 1)
                posix_spawn_file_actions_adddup2(&$0, errorPipe[1], 2)
            }
        } catch {
            close(outputPipe[0])
            close(outputPipe[1])
            close(errorPipe[0])
            close(errorPipe[1])
            throw LaunchError(description: "\(error)")
        }
        close(outputPipe[1])
        close(errorPipe[1])
        processID = pid
        launchedAt = .now
        startReading(outputPipe[0], isOutput: true)
        startReading(errorPipe[0], isOutput: false)
    }

    deinit {
        let running = shared.state.withLock { state -> Bool in
            guard state.termination == nil else {
                return false
            }
            Glibc.kill(processID, SIGKILL)
            return true
        }
        if running {
            var status: Int32 = 0
            while waitpid(processID, &status, 0) < 0 && errno == EINTR {}
        }
    }

    /// The complete lines the child wrote to its standard output so far, without newlines.
    public var lines: [String] {
        shared.state.withLock { $0.lines }
    }

    /// What the child wrote to its standard error so far.
    public var standardError: String {
        shared.state.withLock { String(decoding: $0.errorText, as: UTF8.self) }
    }

    /// How the child ended, once it has (checked without waiting).
    public var termination: Termination? {
        reap()
    }

    /// Sends `signal` (SIGKILL by default) to the child, unless it has already been reaped.
    public func kill(_ signal: Int32 = 9) {
        shared.state.withLock { state in
            if state.termination == nil {
                _ = Glibc.kill(processID, signal)
            }
        }
    }

    /// Waits until the child has ended and both of its output streams are read to their end;
    /// `nil` when that takes longer than `timeout`.
    public func waitForExit(timeout: Duration) async -> Termination? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let termination = reap(), shared.state.withLock({ $0.openStreams == 0 }) {
                return termination
            }
            if ContinuousClock.now >= deadline {
                return nil
            }
            try? await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Waits for the first line that starts with `prefix` and returns it; `nil` when the child
    /// ends (its output read to the end) or `timeout` passes without one.
    public func waitForLine(prefix: String, timeout: Duration) async -> String? {
        let deadline = ContinuousClock.now + timeout
        while true {
            let (line, ended) = shared.state.withLock { state in
                (state.lines.first { $0.hasPrefix(prefix) }, state.openStreams == 0)
            }
            if let line {
                return line
            }
            if ended || ContinuousClock.now >= deadline {
                return nil
            }
            try? await Task.sleep(for: .milliseconds(1))
        }
    }

    private typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32

    /// `pipe2(O_CLOEXEC)`, looked up at run time (Swift's Glibc module does not declare it), or
    /// `pipe` and `FD_CLOEXEC` where it is missing.
    private static func makePipe(_ descriptors: inout [Int32]) -> Bool {
        if let symbol = dlsym(nil, "pipe2") {
            return unsafeBitCast(symbol, to: Pipe2.self)(&descriptors, O_CLOEXEC) == 0
        }
        guard pipe(&descriptors) == 0 else {
            return false
        }
        _ = fcntl(descriptors[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(descriptors[1], F_SETFD, FD_CLOEXEC)
        return true
    }

    /// Collects the child's exit status if it has ended.
    private func reap() -> Termination? {
        shared.state.withLock { state in
            if let termination = state.termination {
                return termination
            }
            var status: Int32 = 0
            let result = waitpid(processID, &status, WNOHANG)
            guard result == processID else {
                return nil
            }
            let signal = status & 0x7F
            let termination: Termination = signal == 0 ? .exited((status >> 8) & 0xFF) : .signaled(signal)
            state.termination = termination
            return termination
        }
    }

    private func startReading(_ descriptor: Int32, isOutput: Bool) {
        let shared = shared
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 16_384)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR {
                    continue
                }
                if count <= 0 {
                    break
                }
                Self.received(buffer[0..<count], isOutput: isOutput, into: shared)
            }
            close(descriptor)
            shared.state.withLock { state in
                if isOutput, !state.output.isEmpty {
                    state.lines.append(String(decoding: state.output, as: UTF8.self))
                    state.output.removeAll()
                }
                state.openStreams -= 1
            }
        }
        thread.name = "child-\(processID)-\(isOutput ? "stdout" : "stderr")"
        thread.start()
    }

    private static func received(_ bytes: ArraySlice<UInt8>, isOutput: Bool, into shared: Shared) {
        shared.state.withLock { state in
            guard isOutput else {
                state.errorText.append(contentsOf: bytes)
                return
            }
            for byte in bytes {
                if byte == UInt8(ascii: "\n") {
                    state.lines.append(String(decoding: state.output, as: UTF8.self))
                    state.output.removeAll(keepingCapacity: true)
                } else {
                    state.output.append(byte)
                }
            }
        }
    }
}
