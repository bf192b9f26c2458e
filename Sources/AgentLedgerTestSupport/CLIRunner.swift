import Foundation
import Synchronization

/// Runs the built `agentledger` binary for end-to-end tests: standard input from bytes,
/// standard output and error captured, the exit status returned.
///
/// The binary is found next to the test bundle, in the build's products directory (as
/// swift-argument-parser's test helpers do), or at `$AGENTLEDGER_CLI` when that is set.
/// Output goes to temporary files rather than pipes, so a large output can never block the
/// child, and a running child's output can be read while it runs (``Running/standardOutput``).
///
/// ```swift
/// let cli = try CLIRunner()
/// let result = try await cli.run(["add", "chat", "--store", path], input: #"{"role":"user","content":"hi"}"#)
/// #expect(result.status == 0)
/// #expect(result.standardOutput == "1\n")
/// ```
public struct CLIRunner: Sendable {
    /// What a finished run produced.
    public struct Result: Sendable {
        /// The exit status, or 128 + the signal number when a signal ended the process.
        public let status: Int32
        /// Standard output, byte for byte.
        public let standardOutputBytes: [UInt8]
        /// Standard error as text.
        public let standardError: String

        /// Standard output as text.
        public var standardOutput: String {
            String(decoding: standardOutputBytes, as: UTF8.self)
        }

        /// Standard output split into lines, without the final empty one.
        public var lines: [String] {
            var lines = standardOutput.components(separatedBy: "\n")
            if lines.last == "" {
                lines.removeLast()
            }
            return lines
        }
    }

    /// A child process started by ``start(_:input:environment:)``.
    public final class Running {
        private let directory: TemporaryDirectory
        private let finished: Finished

        fileprivate init(processID: Int32, directory: TemporaryDirectory, finished: Finished) {
            self.processID = processID
            self.directory = directory
            self.finished = finished
        }

        /// Kills the process if it is still running: a test that stops before ``wait(timeoutSeconds:)``
        /// (an error thrown between the two) must not leave a child such as `log --follow` behind.
        deinit {
            if !finished.isDone {
                kill(processID, SIGKILL)
            }
        }

        /// The process id.
        public let processID: Int32

        /// What the process has written to standard output so far.
        public var standardOutput: String {
            String(
                decoding: (try? Data(contentsOf: URL(fileURLWithPath: directory.path + "/stdout"))) ?? Data(),
                as: UTF8.self
            )
        }

        /// What the process has written to standard error so far.
        public var standardError: String {
            String(
                decoding: (try? Data(contentsOf: URL(fileURLWithPath: directory.path + "/stderr"))) ?? Data(),
                as: UTF8.self
            )
        }

        /// Sends `signal` (such as `SIGINT`) to the process.
        public func send(_ signal: Int32) {
            kill(processID, signal)
        }

        /// Sends `signal` as soon as standard error contains `text`, watching from a thread of
        /// its own every 2 ms; `false` (and no signal) when the process ended first or after
        /// `seconds`.
        ///
        /// A test that must signal inside a window (an import between its first progress line
        /// and its end) cannot poll from a task: with the test process busy on two cores, the
        /// cooperative pool can wake a sleeping task seconds late, after the window has closed.
        /// Nor can it give up early: on a machine busy with the whole suite, an import took more
        /// than 60 s to print its first progress line. The process ending ends the watch anyway.
        public func send(_ signal: Int32, whenStandardErrorContains text: String, seconds: Double = 600) async -> Bool {
            let path = directory.path + "/stderr"
            return await send(signal, seconds: seconds) {
                let bytes = (try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data()
                return String(decoding: bytes, as: UTF8.self).contains(text)
            }
        }

        /// Sends `signal` as soon as `condition` holds, checking it from a thread of its own
        /// every `intervalMicroseconds`; `false` (and no signal) when the process ended first or
        /// after `seconds`. See ``send(_:whenStandardErrorContains:seconds:)`` for why a thread.
        public func send(
            _ signal: Int32,
            seconds: Double = 600,
            intervalMicroseconds: UInt32 = 2_000,
            when condition: @escaping @Sendable () -> Bool
        ) async -> Bool {
            let finished = finished
            let pid = processID
            return await withCheckedContinuation { continuation in
                let watcher = Thread {
                    let deadline = Date().addingTimeInterval(seconds)
                    while Date() < deadline, !finished.isDone {
                        if condition() {
                            kill(pid, signal)
                            continuation.resume(returning: true)
                            return
                        }
                        usleep(intervalMicroseconds)
                    }
                    continuation.resume(returning: false)
                }
                watcher.name = "cli-\(pid)-signal"
                watcher.start()
            }
        }

        /// Waits until standard output contains `text`, checking every 20 ms; `false` after
        /// `seconds` or when the process ended first.
        ///
        /// The default is long because it costs nothing when the output comes: on a machine busy
        /// with the whole suite, a child can take more than 10 s to start and print. The output
        /// is checked once more after the deadline, so that a task the cooperative pool wakes
        /// late does not report a timeout for output that came meanwhile.
        public func waitForOutput(containing text: String, seconds: Double = 60) async throws -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while true {
                if standardOutput.contains(text) {
                    return true
                }
                if finished.isDone {
                    return standardOutput.contains(text)
                }
                guard Date() < deadline else {
                    return false
                }
                try await Task.sleep(for: .milliseconds(20))
            }
        }

        /// Waits for the process to end (killing it after `timeoutSeconds`) and returns its result.
        public func wait(timeoutSeconds: Double = 60) async -> Result {
            let pid = processID
            let watchdog = Task {
                try await Task.sleep(for: .seconds(timeoutSeconds))
                kill(pid, SIGKILL)
            }
            await finished.wait()
            watchdog.cancel()
            let status = finished.status
            let output = (try? Data(contentsOf: URL(fileURLWithPath: directory.path + "/stdout"))) ?? Data()
            let error = (try? Data(contentsOf: URL(fileURLWithPath: directory.path + "/stderr"))) ?? Data()
            directory.remove()
            return Result(
                status: status,
                standardOutputBytes: Array(output),
                standardError: String(decoding: error, as: UTF8.self)
            )
        }
    }

    /// Whether a process has ended, and who waits for it.
    fileprivate final class Finished: Sendable {
        private let state = Mutex<(done: Bool, status: Int32, waiters: [CheckedContinuation<Void, Never>])>(
            (false, -1, [])
        )

        var isDone: Bool { state.withLock { $0.done } }

        /// The exit code, or 128 + the signal number; -1 until the process has ended.
        var status: Int32 { state.withLock { $0.status } }

        func finish(status: Int32) {
            let waiters = state.withLock { state in
                state.done = true
                state.status = status
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters {
                waiter.resume()
            }
        }

        func wait() async {
            await withCheckedContinuation { continuation in
                let done = state.withLock { state in
                    if !state.done {
                        state.waiters.append(continuation)
                    }
                    return state.done
                }
                if done {
                    continuation.resume()
                }
            }
        }
    }

    /// The binary's path.
    public let executablePath: String
    /// Environment variables set for every run, over the test process's own.
    public var environment: [String: String]

    /// Finds the `agentledger` binary.
    ///
    /// - Parameter environment: variables set for every run, over the test process's own
    ///   (from which `AGENTLEDGER_STORE` is removed, so that no run touches a store by accident).
    /// - Throws: when no binary can be found: build the package first (`swift build`).
    public init(environment: [String: String] = [:]) throws {
        guard let path = Self.locateExecutable() else {
            throw CocoaError(
                .fileNoSuchFile,
                userInfo: [NSLocalizedDescriptionKey: "agentledger binary not found next to the tests; run swift build"]
            )
        }
        self.executablePath = path
        self.environment = environment
    }

    /// Runs the executable at `executablePath` instead of `agentledger`: `/bin/sh`, say, to give
    /// `agentledger` arguments that are not valid UTF-8, which a list of `String`s cannot carry.
    ///
    /// - Parameter environment: variables set for every run, over the test process's own.
    public init(executablePath: String, environment: [String: String] = [:]) {
        self.executablePath = executablePath
        self.environment = environment
    }

    /// `$AGENTLEDGER_CLI`, else `agentledger` in the directory of the running test binary or
    /// bundle (the build's products directory).
    public static func locateExecutable(named name: String = "agentledger") -> String? {
        let files = FileManager.default
        if let path = ProcessInfo.processInfo.environment["AGENTLEDGER_CLI"], files.isExecutableFile(atPath: path) {
            return path
        }
        var candidates: [URL] = []
        #if os(Linux)
        candidates.append(URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent())
        #endif
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            candidates.append(bundle.bundleURL.deletingLastPathComponent())
        }
        candidates.append(Bundle.main.bundleURL)
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        for directory in candidates {
            let path = directory.appendingPathComponent(name).path
            if files.isExecutableFile(atPath: path) {
                return path
            }
        }
        return nil
    }

    /// Runs the binary with `arguments` and `input` on standard input, and waits for it.
    public func run(
        _ arguments: [String],
        input: String = "",
        environment extra: [String: String] = [:],
        timeoutSeconds: Double = 60
    ) async throws -> Result {
        try await run(arguments, inputBytes: Array(input.utf8), environment: extra, timeoutSeconds: timeoutSeconds)
    }

    /// Runs the binary with `arguments` and `inputBytes` on standard input, and waits for it.
    public func run(
        _ arguments: [String],
        inputBytes: [UInt8],
        environment extra: [String: String] = [:],
        timeoutSeconds: Double = 60
    ) async throws -> Result {
        let running = try start(arguments, inputBytes: inputBytes, environment: extra)
        return await running.wait(timeoutSeconds: timeoutSeconds)
    }

    /// Starts the binary with `arguments` and `inputBytes` on standard input, without waiting.
    public func start(
        _ arguments: [String],
        inputBytes: [UInt8] = [],
        environment extra: [String: String] = [:]
    ) throws -> Running {
        let directory = try TemporaryDirectory(prefix: "agentledger-cli")
        let files = FileManager.default
        let inputPath = directory.path + "/stdin"
        for (path, contents) in [
            (inputPath, Data(inputBytes)), (directory.path + "/stdout", Data()), (directory.path + "/stderr", Data()),
        ] {
            guard files.createFile(atPath: path, contents: contents) else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
            }
        }
        var variables = ProcessInfo.processInfo.environment
        variables["AGENTLEDGER_STORE"] = nil
        variables.merge(environment) { $1 }
        variables.merge(extra) { $1 }
        let outputPath = directory.path + "/stdout"
        let errorPath = directory.path + "/stderr"
        // posix_spawn, not Foundation's Process: see ChildSpawn.
        let pid: Int32
        do {
            pid = try ChildSpawn.spawn(executablePath, arguments: arguments, environment: variables) {
                posix_spawn_file_actions_addopen(&$0, 0, inputPath, O_RDONLY, 0)
                posix_spawn_file_actions_addopen(&$0, 1, outputPath, O_WRONLY, 0)
                posix_spawn_file_actions_addopen(&$0, 2, errorPath, O_WRONLY, 0)
            }
        } catch {
            directory.remove()
            throw error
        }
        let finished = Finished()
        let waiter = Thread { finished.finish(status: ChildSpawn.waitForExit(pid)) }
        waiter.name = "cli-\(pid)-wait"
        waiter.start()
        return Running(processID: pid, directory: directory, finished: finished)
    }
}
