import Foundation

extension Ledger {
    /// How often an open that found the writer lock held tries again.
    static let lockRetryInterval: Duration = .milliseconds(10)

    /// Runs `attempt` (an open, on a thread of its own), and again every
    /// ``lockRetryInterval`` while it throws `storeLocked`, for up to `options.lockWait`: the
    /// holder may be a writer that is closing, or a reading command of the command line that
    /// holds the lock for as long as it catches up the read model and answers. The first
    /// refusal is logged at info level, with the holder as the error names it.
    ///
    /// - Throws: `invalidArgument` for a negative `lockWait`; the last `storeLocked`, saying how
    ///   long it waited (its `underlying` is the refusal itself); any other error of `attempt`.
    static func waitingForLock<T>(_ options: LedgerOptions, _ attempt: () throws -> T) throws -> T {
        guard options.lockWait >= .zero else {
            throw LedgerError(.invalidArgument, "lockWait \(options.lockWait) is negative (zero fails at once)")
        }
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
