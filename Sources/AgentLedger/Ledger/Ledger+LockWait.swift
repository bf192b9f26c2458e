import Foundation
import Synchronization

extension Ledger {
    /// How often an open that found the writer lock held tries again.
    static let lockRetryInterval: Duration = .milliseconds(10)

    /// Whether the task of an open that waits for the writer lock was cancelled.
    private final class CancellationFlag: Sendable {
        private let cancelled = Atomic<Bool>(false)

        var isSet: Bool { cancelled.load(ordering: .acquiring) }

        func set() { cancelled.store(true, ordering: .releasing) }
    }

    /// Runs `attempt` (an open) on a thread of its own, and again every ``lockRetryInterval``
    /// while it throws `storeLocked`, for up to `options.lockWait`: the holder may be a writer
    /// that is closing, or a reading command of the command line that holds the lock for as
    /// long as it catches up the read model and answers. The first refusal is logged at info
    /// level, with the holder as the error names it. Cancelling the calling task ends the wait
    /// (an attempt under way runs to its end).
    ///
    /// - Throws: `invalidArgument` for a negative `lockWait`; the last `storeLocked`, saying how
    ///   long it waited (its `underlying` is the refusal itself); `cancelled` when the task was
    ///   cancelled while the lock was held by another; any other error of `attempt`.
    static func waitingForLock<T: Sendable>(
        _ options: LedgerOptions,
        _ attempt: @escaping @Sendable () throws -> T
    ) async throws -> T {
        guard options.lockWait >= .zero else {
            throw LedgerError(.invalidArgument, "lockWait \(options.lockWait) is negative (zero fails at once)")
        }
        let cancelled = CancellationFlag()
        return try await withTaskCancellationHandler {
            try await BlockingWork.run(name: "agentledger-open") {
                try retryingWhileLocked(options, cancelled: cancelled, attempt)
            }
        } onCancel: {
            cancelled.set()
        }
    }

    /// ``waitingForLock(_:_:)``'s loop, on the thread of the open.
    private static func retryingWhileLocked<T>(
        _ options: LedgerOptions,
        cancelled: CancellationFlag,
        _ attempt: () throws -> T
    ) throws -> T {
        let clock = ContinuousClock()
        let deadline = clock.now + options.lockWait
        var waiting = false
        while true {
            do {
                return try attempt()
            } catch let error as LedgerError where error.code == .storeLocked {
                guard clock.now < deadline else {
                    guard options.lockWait > .zero else {
                        throw error
                    }
                    throw LedgerError(
                        .storeLocked,
                        error.message + " (waited \(Self.milliseconds(options.lockWait)) ms: LedgerOptions.lockWait)",
                        underlying: error
                    )
                }
                guard !cancelled.isSet else {
                    throw LedgerError(
                        .cancelled,
                        "the open's task was cancelled while it waited for the writer lock: " + error.message,
                        underlying: error
                    )
                }
                if !waiting {
                    waiting = true
                    options.logger.info(
                        "waiting for the store's writer lock",
                        metadata: ["lockWait": "\(options.lockWait)", "reason": "\(error.message)"]
                    )
                }
                Thread.sleep(forTimeInterval: Self.seconds(min(Self.lockRetryInterval, deadline - clock.now)))
            }
        }
    }

    /// `duration` in whole milliseconds, for messages.
    private static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }

    /// `duration` in seconds, for `Thread.sleep`.
    private static func seconds(_ duration: Duration) -> TimeInterval {
        TimeInterval(duration.components.seconds) + TimeInterval(duration.components.attoseconds) / 1e18
    }
}
