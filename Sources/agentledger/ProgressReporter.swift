import AgentLedger
import Foundation
import Glibc
import Synchronization

/// Reports the progress of long work (a rebuild, an import) on standard error: a bar redrawn in
/// place on a terminal (events/s, percent, ETA), a plain line every few seconds otherwise.
/// Work that ends within `quietFor` prints nothing.
final class ProgressReporter: Sendable {
    /// What was last reported, and when something was last printed.
    private struct State {
        var printedAt: ContinuousClock.Instant?
        var done: UInt64 = 0
        var total: UInt64 = 0
        var reported = false
        /// Whether the last report was printed as it is.
        var printedLast = false
    }

    private let label: String
    private let interactive: Bool
    private let started: ContinuousClock.Instant
    private let quietFor: Duration
    private let state = Mutex(State())

    /// A reporter whose lines start with `label` (`rebuild`, `import`).
    init(
        _ label: String,
        interactive: Bool = isatty(STDERR_FILENO) != 0,
        started: ContinuousClock.Instant = .now,
        quietFor: Duration = .zero
    ) {
        self.label = label
        self.interactive = interactive
        self.started = started
        self.quietFor = quietFor
    }

    /// Runs `body`, the work whose progress this reports, and finishes the report however it
    /// ends, so that an error is printed on a line of its own.
    func finishing<T>(_ body: () async throws -> T) async rethrows -> T {
        defer { finish() }
        return try await body()
    }

    /// Reports a rebuild's progress.
    func report(_ progress: RebuildProgress) {
        report(done: progress.applied, of: progress.total)
    }

    /// Reports an import's progress.
    func report(_ progress: ImportProgress) {
        report(done: UInt64(progress.written), of: UInt64(progress.total))
    }

    /// Reports `done` events of `total`, printed when the last print is old enough.
    func report(done: UInt64, of total: UInt64) {
        let now = ContinuousClock.now
        let due = state.withLock { state in
            state.done = done
            state.total = total
            state.reported = true
            state.printedLast = false
            let interval: Duration = interactive ? .milliseconds(100) : .seconds(2)
            if now - started < quietFor {
                return false
            }
            if let previous = state.printedAt, now - previous < interval, done < total {
                return false
            }
            state.printedAt = now
            state.printedLast = true
            return true
        }
        if due {
            write(done: done, of: total, at: now)
        }
    }

    /// Prints the last report unless it was printed already, and ends the bar's line; nothing
    /// when nothing was printed (work that ended within `quietFor` stays quiet). Once.
    func finish() {
        let last = state.withLock { state in
            defer { state.reported = false }
            guard state.reported, state.printedAt != nil || quietFor == .zero else {
                return nil as (UInt64, UInt64, Bool)?
            }
            return (state.done, state.total, state.printedLast)
        }
        guard let (done, total, printed) = last else {
            return
        }
        if !printed {
            write(done: done, of: total, at: ContinuousClock.now)
        }
        if interactive {
            try? OutputBuffer.write(Array(("\n").utf8), to: STDERR_FILENO)
        }
    }

    private func write(done: UInt64, of total: UInt64, at now: ContinuousClock.Instant) {
        let elapsed =
            Double((now - started).components.seconds)
            + Double((now - started).components.attoseconds) / 1e18
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let remaining = rate > 0 ? Double(total - min(done, total)) / rate : 0
        let fraction = total == 0 ? 1 : Double(done) / Double(total)
        let text =
            "\(label): \(done)/\(total) events, \(Int(fraction * 100))%, "
            + "\(Int(rate)) events/s, ETA \(Int(remaining.rounded(.up)))s"
        if interactive {
            let width = 30
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            // Back to the line's start, and clear what a longer line before left behind.
            try? OutputBuffer.write(Array(("\r[\(bar)] " + text + "\u{1B}[K").utf8), to: STDERR_FILENO)
        } else {
            try? OutputBuffer.write(Array((text + "\n").utf8), to: STDERR_FILENO)
        }
    }
}
