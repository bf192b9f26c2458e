/// The repetitions of one workload, each on its own fresh store, summarized by the median of
/// every figure: what `agentledger bench` prints, so that one slow moment of a noisy machine does
/// not become the result.
struct BenchRepetitions {
    private(set) var runs: [BenchResult] = []

    mutating func append(_ run: BenchResult) {
        runs.append(run)
    }

    /// The figures that are counts of what went wrong or of what was held: summarized by their
    /// highest value over the runs, so that one run's errors or descriptor spike is not voted
    /// away by the others.
    static let worstCaseKeys: Set<String> = ["errors", "fds_start", "fds_peak", "fds_end"]

    /// Every figure of the runs (in the first run's order) as the median over the runs that have
    /// it: the middle value, or the mean of the two middle values for an even count; the
    /// ``worstCaseKeys`` as their highest value; NaN (printed `null`) when no run has a number.
    /// Strings come from the first run. Empty when there is no run.
    var medians: BenchResult {
        var summary = BenchResult()
        guard let first = runs.first else {
            return summary
        }
        summary.strings = first.strings
        for (key, _) in first.values {
            // NaN stands for no figure (no call succeeded): left out, as compare.py leaves out null.
            let values = runs.compactMap { run in run.values.first { $0.0 == key }?.1 }.filter { !$0.isNaN }
            if let highest = values.max() {
                summary.set(key, Self.worstCaseKeys.contains(key) ? highest : Self.median(values))
            } else {
                summary.set(key, Double.nan)
            }
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
