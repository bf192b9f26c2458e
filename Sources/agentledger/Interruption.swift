import Dispatch
import Glibc

/// SIGINT and SIGTERM as a cancellation: for commands that stop cleanly between two steps
/// (`import`, `import-sdk-sqlite`, `log --follow`) and then say where they stopped.
enum Interruption {
    /// Runs `body` in a task that the first SIGINT or SIGTERM cancels (also when the shell
    /// started this process with SIGINT ignored, as a background job); a second one of the
    /// same signal ends the process at once, as if no handler were installed.
    static func cancellingOnSignals<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let task = Task { try await body() }
        let sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                task.cancel()
                signal(number, SIG_DFL)
            }
            source.resume()
            return source
        }
        defer {
            for source in sources {
                source.cancel()
            }
        }
        return try await task.value
    }
}
