/// One repetition's figures, written as the JSON object Benchmarks/compare.py reads
/// (the keys are shared with Benchmarks/sdk_bench.py; see Benchmarks/README.md).
struct BenchResult {
    var values: [(String, Double)] = []
    var strings: [(String, String)] = []

    mutating func set(_ key: String, _ value: Double) {
        values.append((key, value))
    }

    mutating func set(_ key: String, _ value: Int) {
        values.append((key, Double(value)))
    }

    mutating func set(_ key: String, _ value: String) {
        strings.append((key, value))
    }

    /// A flat JSON object: strings first, then numbers in the order they were set.
    var json: String {
        var fields: [String] = []
        for (key, value) in strings {
            fields.append("\"\(key)\": \"\(value)\"")
        }
        for (key, value) in values {
            let text = value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
            fields.append("\"\(key)\": \(text)")
        }
        return "{" + fields.joined(separator: ", ") + "}"
    }
}
