import AgentLedger
import Foundation
import Glibc
import Synchronization

/// Reports a rebuild's progress on standard error: a bar redrawn in place on a terminal
/// (events/s, percent, ETA), a plain line every few seconds otherwise.
final class ProgressReporter: Sendable {
    private let interactive: Bool
    private let started: ContinuousClock.Instant
    private let last = Mutex<(ContinuousClock.Instant?, RebuildProgress?)>((nil, nil))

    init(interactive: Bool, started: ContinuousClock.Instant) {
        self.interactive = interactive
        self.started = started
    }

    func report(_ progress: RebuildProgress) {
        let now = ContinuousClock.now
        let due = last.withLock { state in
            let interval: Duration = interactive ? .milliseconds(100) : .seconds(2)
            if let previous = state.0, now - previous < interval, progress.applied < progress.total {
                state.1 = progress
                return false
            }
            state = (now, progress)
            return true
        }
        if due {
            write(progress, at: now)
        }
    }

    func finish() {
        let progress = last.withLock { $0.1 }
        if let progress {
            write(progress, at: ContinuousClock.now)
        }
        if interactive {
            try? OutputBuffer.write(Array(("\n").utf8), to: STDERR_FILENO)
        }
    }

    private func write(_ progress: RebuildProgress, at now: ContinuousClock.Instant) {
        let elapsed =
            Double((now - started).components.seconds)
            + Double((now - started).components.attoseconds) / 1e18
        let rate = elapsed > 0 ? Double(progress.applied) / elapsed : 0
        let remaining = rate > 0 ? Double(progress.total - progress.applied) / rate : 0
        let percent = Int(progress.fraction * 100)
        let text =
            "rebuild: \(progress.applied)/\(progress.total) events, \(percent)%, "
            + "\(Int(rate)) events/s, ETA \(Int(remaining.rounded(.up)))s"
        if interactive {
            let width = 30
            let filled = Int(progress.fraction * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            try? OutputBuffer.write(Array(("\r[\(bar)] " + text).utf8), to: STDERR_FILENO)
        } else {
            try? OutputBuffer.write(Array((text + "\n").utf8), to: STDERR_FILENO)
        }
    }
}
