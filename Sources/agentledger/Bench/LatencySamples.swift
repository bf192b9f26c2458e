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

    /// The nearest-rank percentile `p` (0...100) in milliseconds; 0 when there is no sample.
    func percentileMilliseconds(_ p: Double) -> Double {
        guard !nanoseconds.isEmpty else {
            return 0
        }
        let sorted = nanoseconds.sorted()
        let rank = max(1, Int((p / 100 * Double(sorted.count)).rounded(.up)))
        return Double(sorted[min(rank, sorted.count) - 1]) / 1_000_000
    }
}
