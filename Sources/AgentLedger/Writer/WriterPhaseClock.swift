#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Times the phases of the writer's group commits into a ``WriterProfile``: each mark charges
/// the wall-clock and thread CPU time since the previous mark to a phase. Used on the writer
/// thread only.
struct WriterPhaseClock {
    private(set) var profile = WriterProfile()
    private var lastWall: UInt64 = 0
    private var lastCPU: UInt64 = 0

    /// Starts timing a group commit.
    mutating func start() {
        (lastWall, lastCPU) = Self.now()
    }

    /// Charges the time since the last mark to `phase`.
    mutating func mark(_ phase: WriterProfile.Phase) {
        let (wall, cpu) = Self.now()
        profile.wallNanoseconds[phase, default: 0] &+= wall &- lastWall
        profile.cpuNanoseconds[phase, default: 0] &+= cpu &- min(lastCPU, cpu)
        (lastWall, lastCPU) = (wall, cpu)
    }

    /// Counts a group commit that wrote `events` events.
    mutating func count(events: Int) {
        profile.commits += 1
        profile.events += events
    }

    private static func now() -> (wall: UInt64, cpu: UInt64) {
        (read(CLOCK_MONOTONIC), read(CLOCK_THREAD_CPUTIME_ID))
    }

    private static func read(_ clock: clockid_t) -> UInt64 {
        var time = timespec()
        clock_gettime(clock, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
