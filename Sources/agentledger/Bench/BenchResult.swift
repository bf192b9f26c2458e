import AgentLedger

/// One repetition's figures, written as the JSON object Benchmarks/compare.py reads
/// (the keys are shared with Benchmarks/sdk_bench.py; see Benchmarks/README.md).
struct BenchResult {
    var values: [(String, Double)] = []
    var strings: [(String, String)] = []
    /// Fields whose values are JSON already (the per-repetition objects), written last.
    var objects: [(String, String)] = []

    mutating func set(_ key: String, _ value: Double) {
        values.append((key, value))
    }

    mutating func set(_ key: String, _ value: Int) {
        values.append((key, Double(value)))
    }

    mutating func set(_ key: String, _ value: String) {
        strings.append((key, value))
    }

    /// Adds the writer's profile, when there is one: events per group commit, then the mean
    /// wall-clock and CPU microseconds of each phase per group commit.
    mutating func record(_ profile: WriterProfile?) {
        guard let profile else {
            return
        }
        set("writer_commits", profile.commits)
        set("writer_events_per_commit", profile.eventsPerCommit)
        for phase in WriterProfile.Phase.allCases {
            set("writer_\(phase.rawValue)_wall_us", profile.wallMicrosecondsPerCommit(phase))
            set("writer_\(phase.rawValue)_cpu_us", profile.cpuMicrosecondsPerCommit(phase))
        }
    }

    /// A JSON object: strings first, then numbers in the order they were set (`null` for one that
    /// is not finite, which JSON cannot write), then ``objects``.
    var json: String {
        var fields: [String] = []
        for (key, value) in strings {
            fields.append(JSONText.string(key) + ": " + JSONText.string(value))
        }
        for (key, value) in values {
            let text: String
            if !value.isFinite {
                text = "null"
            } else if value == value.rounded() && abs(value) < 1e15 {
                text = String(Int64(value))
            } else {
                text = String(value)
            }
            fields.append("\"\(key)\": \(text)")
        }
        for (key, json) in objects {
            fields.append("\"\(key)\": \(json)")
        }
        return "{" + fields.joined(separator: ", ") + "}"
    }
}
