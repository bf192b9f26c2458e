extension JSONValue: CustomStringConvertible {
    /// The compact JSON text of this value, with object members sorted by name.
    ///
    /// The output is stable: the same value always gives the same text, byte for byte.
    /// - No whitespace; object members in the order of their names' UTF-8 bytes.
    /// - Strings escape `"`, `\` and the control characters below U+0020 (as `\n`, `\t`, ... or
    ///   `\u001f`); every other character is written as itself, in UTF-8.
    /// - Numbers with no fractional part below 2^53 in magnitude are written as integers (`42`,
    ///   `-0`); others in Swift's shortest round-trip form (`0.1`, `1e+100`). An infinity is
    ///   written `1e999` or `-1e999` (which JSON parsers read back as an infinity) and NaN as
    ///   `null`, since JSON has no spelling for them.
    public var jsonText: String {
        String(decoding: jsonBytes, as: UTF8.self)
    }

    /// The compact JSON text, the same as ``jsonText``.
    public var description: String {
        jsonText
    }

    /// The compact JSON text as UTF-8 bytes (see ``jsonText``).
    var jsonBytes: [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(64)
        write(into: &output)
        return output
    }

    /// What keeps a value from being written as an item's JSON.
    enum ItemProblem {
        /// Arrays and objects nest deeper than the limit.
        case tooDeep
        /// A NaN appears somewhere (NaN has no JSON spelling).
        case nan
    }

    /// Whether this value nests deeper than `depthLimit` arrays and objects (the value itself
    /// counting as the first level) or holds a NaN, found without recursion: a value built too
    /// deep for the stack is refused here instead of crashing the writer of its text.
    func itemProblem(depthLimit: Int) -> ItemProblem? {
        var pending: [(value: JSONValue, enclosing: Int)] = [(self, 0)]
        var hasNaN = false
        while let (value, enclosing) = pending.popLast() {
            switch value {
            case .number(let number):
                hasNaN = hasNaN || number.isNaN
            case .array(let elements):
                guard enclosing < depthLimit else {
                    return .tooDeep
                }
                pending.append(contentsOf: elements.lazy.map { ($0, enclosing + 1) })
            case .object(let members):
                guard enclosing < depthLimit else {
                    return .tooDeep
                }
                pending.append(contentsOf: members.values.lazy.map { ($0, enclosing + 1) })
            case .null, .bool, .string:
                break
            }
        }
        return hasNaN ? .nan : nil
    }

    /// Appends the compact JSON text of this value to `output`.
    func write(into output: inout [UInt8]) {
        switch self {
        case .null:
            output.append(contentsOf: "null".utf8)
        case .bool(let value):
            output.append(contentsOf: (value ? "true" : "false").utf8)
        case .number(let value):
            Self.writeNumber(value, into: &output)
        case .string(let value):
            Self.writeString(value, into: &output)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 {
                    output.append(UInt8(ascii: ","))
                }
                element.write(into: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            let names = members.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for (index, name) in names.enumerated() {
                if index > 0 {
                    output.append(UInt8(ascii: ","))
                }
                Self.writeString(name, into: &output)
                output.append(UInt8(ascii: ":"))
                members[name, default: .null].write(into: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    private static func writeNumber(_ value: Double, into output: inout [UInt8]) {
        if value.isNaN {
            output.append(contentsOf: "null".utf8)
        } else if value.isInfinite {
            output.append(contentsOf: (value < 0 ? "-1e999" : "1e999").utf8)
        } else if value == value.rounded(.towardZero) && value.magnitude < 9_007_199_254_740_992 {
            if value.sign == .minus && value == 0 {
                output.append(contentsOf: "-0".utf8)
            } else {
                output.append(contentsOf: String(Int64(value)).utf8)
            }
        } else {
            output.append(contentsOf: value.description.utf8)
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    static func writeString(_ value: String, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""):
                output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"):
                output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A:
                output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D:
                output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09:
                output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x08:
                output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C:
                output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x00..<0x20:
                output.append(contentsOf: "\\u00".utf8)
                output.append(hexDigits[Int(byte >> 4)])
                output.append(hexDigits[Int(byte & 0x0F)])
            default:
                output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}
