import Glibc

/// The wall clock used to stamp events.
public enum SystemClock {
    /// Microseconds since 1970-01-01 UTC, from `clock_gettime(CLOCK_REALTIME)`.
    @Sendable
    public static func microsecondsSince1970() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1_000_000 + Int64(time.tv_nsec) / 1000
    }
}
