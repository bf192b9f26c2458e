/// Per-call latencies of one kind of call, in nanoseconds, with nearest-rank percentiles.
struct LatencySamples: Sendable {
    private(set) var nanoseconds: [UInt64] = []

    mutating func record(_ value: UInt64) {
        nanoseconds.append(value)
    }

    mutating func merge(_ other: LatencySamples) {
        nanoseconds += other.nanoseconds
    }

    var count: Int { nanoseconds.count }

    /// The nearest-rank percentile `p` (0...100) in milliseconds; NaN (printed as `null`) when
    /// there is no sample, since no call succeeded.
    func percentileMilliseconds(_ p: Double) -> Double {
        guard !nanoseconds.isEmpty else {
            return .nan
        }
        let sorted = nanoseconds.sorted()
        let rank = max(1, Int((p / 100 * Double(sorted.count)).rounded(.up)))
        return Double(sorted[min(rank, sorted.count) - 1]) / 1_000_000
    }

    /// The median in milliseconds, the mean of the two middle values for an even count (as
    /// Python's `statistics.median`, which the SDK's harness uses); NaN when there is no sample.
    var medianMilliseconds: Double {
        nanoseconds.isEmpty ? .nan : BenchRepetitions.median(nanoseconds.map { Double($0) }) / 1_000_000
    }
}
