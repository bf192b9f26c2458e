extension JSONParser {
    /// Parses a whole document into a ``JSONValue`` (any value may be at the top level).
    static func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        try run(bytes) { parser throws(JSONParseError) in try parser.readDocument() }
    }

    /// Parses a whole document into a ``JSONValue`` (any value may be at the top level).
    static func parse(_ buffer: UnsafeRawBufferPointer) throws(JSONParseError) -> JSONValue {
        try run(buffer) { parser throws(JSONParseError) in try parser.readDocument() }
    }

    /// Parses a whole document into a ``JSONValue``, accepting nesting down to `depthLimit`
    /// levels instead of ``maxDepth``.
    static func parse(_ bytes: [UInt8], depthLimit: Int) throws(JSONParseError) -> JSONValue {
        try run(bytes) { parser throws(JSONParseError) in
            parser.depthLimit = depthLimit
            return try parser.readDocument()
        }
    }

    /// Validates a whole document without building anything.
    static func validate(_ bytes: [UInt8]) throws(JSONParseError) {
        try run(bytes) { parser throws(JSONParseError) in try parser.skipDocument() }
    }

    /// Reads one value surrounded only by whitespace.
    mutating func readDocument() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        let value = try readValue()
        try expectEndOfDocument()
        return value
    }

    /// Reads the value at the cursor. A repeated member name keeps its last value, as in Python.
    mutating func readValue() throws(JSONParseError) -> JSONValue {
        switch peek() {
        case UInt8(ascii: "\""):
            return .string(try readString())
        case UInt8(ascii: "{"):
            var members: [String: JSONValue] = [:]
            if try beginObject() {
                repeat {
                    let name = string(of: try readMemberName())
                    members[name] = try readValue()
                } while try endMember()
            }
            return .object(members)
        case UInt8(ascii: "["):
            var elements: [JSONValue] = []
            if try beginArray() {
                repeat {
                    elements.append(try readValue())
                } while try endElement()
            }
            return .array(elements)
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(doubleValue(of: try scanNumber()))
        default:
            throw unexpected(at: position, expected: "a value")
        }
    }
}
