import Foundation

/// Runs blocking work (file I/O, recovery, rebuilds) on a thread of its own, so that it never
/// holds one of the cooperative pool's threads.
enum BlockingWork {
    static func run<T: Sendable>(
        name: String,
        _ body: @escaping @Sendable () throws -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try body() })
            }
            thread.name = name
            thread.start()
        }
    }
}
