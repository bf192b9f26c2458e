import Foundation
import Synchronization

/// Counts this process's open file descriptors (entries of /proc/self/fd), and samples the
/// count every 100 ms on a thread of its own to find the peak.
final class DescriptorSampler: Sendable {
    private let state = Mutex((peak: 0, running: true))
    private let done = DispatchSemaphore(value: 0)

    /// The number of open descriptors now, the listing's own included: the SDK's harness counts
    /// `len(os.listdir("/proc/self/fd"))`, which includes it too.
    static func count() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd"))?.count ?? 0
    }

    /// Starts sampling.
    init() {
        let first = Self.count()
        state.withLock { $0.peak = first }
        let thread = Thread { [self] in
            while state.withLock({ $0.running }) {
                let now = Self.count()
                state.withLock { $0.peak = max($0.peak, now) }
                usleep(100_000)
            }
            done.signal()
        }
        thread.start()
    }

    /// Stops sampling and returns the peak.
    func stop() -> Int {
        state.withLock { $0.running = false }
        done.wait()
        return state.withLock { $0.peak }
    }
}
