/// The repetitions of one workload, each on its own fresh store, summarized by the median of
/// every figure: what `agentledger bench` prints, so that one slow moment of a noisy machine does
/// not become the result.
struct BenchRepetitions {
    private(set) var runs: [BenchResult] = []

    mutating func append(_ run: BenchResult) {
        runs.append(run)
    }

    /// Every figure of the runs (in the first run's order) as the median over the runs that have
    /// it: the middle value, or the mean of the two middle values for an even count. Strings
    /// come from the first run. Empty when there is no run.
    var medians: BenchResult {
        var summary = BenchResult()
        guard let first = runs.first else {
            return summary
        }
        summary.strings = first.strings
        for (key, _) in first.values {
            let values = runs.compactMap { run in run.values.first { $0.0 == key }?.1 }
            summary.set(key, Self.median(values))
        }
        return summary
    }

    /// The median of `values`, which must not be empty.
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
