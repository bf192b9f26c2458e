import ArgumentParser

/// A size in bytes given on the command line: digits, optionally followed by `K`, `M` or `G`
/// (also `KiB`, `MiB`, `GiB`; binary multiples, case-insensitive), as in `64M`.
struct ByteCountArgument: ExpressibleByArgument, Sendable {
    /// The number of bytes.
    let bytes: Int

    init(bytes: Int) {
        self.bytes = bytes
    }

    init?(argument: String) {
        let units: [(suffixes: [String], shift: Int)] = [
            (["kib", "k"], 10), (["mib", "m"], 20), (["gib", "g"], 30),
        ]
        var digits = Substring(argument.lowercased())
        var shift = 0
        search: for unit in units {
            for suffix in unit.suffixes where digits.hasSuffix(suffix) {
                digits = digits.dropLast(suffix.count)
                shift = unit.shift
                break search
            }
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(digits),
            value <= Int.max >> shift
        else {
            return nil
        }
        bytes = value << shift
    }

    var defaultValueDescription: String {
        let units = [("G", 30), ("M", 20), ("K", 10)]
        guard let (suffix, shift) = units.first(where: { bytes >= 1 << $0.1 && bytes % (1 << $0.1) == 0 }) else {
            return "\(bytes)"
        }
        return "\(bytes >> shift)\(suffix)"
    }
}
