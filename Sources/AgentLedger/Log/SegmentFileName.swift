/// Segment file names: the base sequence number, zero-padded to 20 digits, then `.seg`
/// (`00000000000000000001.seg`), so that names sort in sequence order.
enum SegmentFileName {
    /// The file name extension.
    static let suffix = ".seg"

    /// The file name of the segment whose first event has sequence number `baseSequence`.
    static func name(forBase baseSequence: UInt64) -> String {
        let digits = String(baseSequence)
        return String(repeating: "0", count: 20 - digits.count) + digits + suffix
    }

    /// The base sequence number in a segment file name; `nil` when `name` is not a segment name.
    static func baseSequence(of name: String) -> UInt64? {
        let utf8 = Array(name.utf8)
        guard utf8.count == 24, name.hasSuffix(suffix) else {
            return nil
        }
        var value: UInt64 = 0
        for byte in utf8.prefix(20) {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else {
                return nil
            }
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else {
                return nil
            }
            value = sum
        }
        return value
    }
}
