/// Builds JSON text for the `--json` outputs, member by member in a fixed order, with item
/// JSON embedded verbatim (never parsed and re-encoded).
struct JSONText {
    private var members: [String] = []

    /// A JSON string literal for `text`: quotes, backslashes and control characters escaped,
    /// everything else as UTF-8.
    static func string(_ text: String) -> String {
        // Most text needs no escape: one pass over its bytes instead of a copy scalar by scalar.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            return "\"" + text + "\""
        }
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case let control where control.value < 0x20: out += escape(control: control)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// A control character as a JSON string writes it: `\n`, `\r`, `\t`, `\b`, `\f`, else
    /// `\u` and four hex digits (`\u001b`; also for DEL and the C1 controls, which JSON need not
    /// escape but a terminal acts on).
    static func escape(control scalar: Unicode.Scalar) -> String {
        switch scalar {
        case "\n": return "\\n"
        case "\r": return "\\r"
        case "\t": return "\\t"
        case "\u{08}": return "\\b"
        case "\u{0C}": return "\\f"
        default:
            let digits = String(scalar.value, radix: 16)
            return "\\u" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
        }
    }

    /// `text` as a JSON string, or `null`.
    static func string(_ text: String?) -> String {
        text.map { string($0) } ?? "null"
    }

    /// Whether `json` holds a line break (outside strings, the only place JSON allows one).
    static func hasLineBreak(_ json: String) -> Bool {
        json.utf8.contains { $0 == 0x0A || $0 == 0x0D }
    }

    /// `json` on one line: its line breaks, which valid JSON holds only between tokens, become
    /// spaces, which leaves the same value.
    static func oneLine(_ json: String) -> String {
        guard hasLineBreak(json) else {
            return json
        }
        return String(decoding: json.utf8.map { $0 == 0x0A || $0 == 0x0D ? 0x20 : $0 }, as: UTF8.self)
    }

    /// A JSON array of values that are already JSON text.
    static func array(_ elements: [String]) -> String {
        "[" + elements.joined(separator: ",") + "]"
    }

    /// Adds a member whose value is already JSON text.
    mutating func raw(_ key: String, _ json: String) {
        members.append(Self.string(key) + ":" + json)
    }

    /// Adds a string member (`null` for `nil`).
    mutating func string(_ key: String, _ value: String?) {
        raw(key, Self.string(value))
    }

    /// Adds an integer member (`null` for `nil`).
    mutating func number<N: BinaryInteger>(_ key: String, _ value: N?) {
        raw(key, value.map { "\($0)" } ?? "null")
    }

    /// Adds a floating-point member.
    mutating func number(_ key: String, _ value: Double) {
        raw(key, value.isFinite ? "\(value)" : "null")
    }

    /// Adds a Boolean member.
    mutating func bool(_ key: String, _ value: Bool) {
        raw(key, value ? "true" : "false")
    }

    /// The object: `{"key":value,...}`.
    var object: String {
        "{" + members.joined(separator: ",") + "}"
    }
}
