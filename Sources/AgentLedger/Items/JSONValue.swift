/// A JSON value: null, a Boolean, a number, a string, an array or an object.
///
/// `JSONValue` is how AgentLedger hands a parsed item to a program (``SessionItem/value``) and
/// how a program builds one (``SessionItem/init(_:)``). The item's exact text is kept separately
/// (``SessionItem/json``), so nothing is lost by the simplifications this type makes:
///
/// - numbers are `Double` (integers beyond 2^53 lose precision; a number too large for a
///   `Double`, such as `1e400`, becomes an infinity);
/// - an object is a `[String: JSONValue]`: member order is not kept, a repeated name keeps its
///   last value, and names are compared the way Swift compares strings (canonically equivalent
///   names, such as a precomposed and a decomposed "é", are one name).
///
/// ```swift
/// let item: JSONValue = ["role": "user", "content": "What is the weather?"]
/// item["role"]?.stringValue  // "user"
/// item.jsonText              // {"content":"What is the weather?","role":"user"}
/// ```
public enum JSONValue: Sendable, Hashable {
    /// The JSON literal `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number.
    case number(Double)
    /// A string.
    case string(String)
    /// An array of values.
    case array([JSONValue])
    /// An object: member names mapped to values.
    case object([String: JSONValue])
}

extension JSONValue {
    /// Parses JSON text strictly (RFC 8259): any value may be at the top level.
    ///
    /// - Throws: ``LedgerError`` with code ``LedgerError/Code/invalidArgument`` whose message
    ///   names the byte offset and the reason, such as "unexpected character 'x' at byte 17".
    public init(parsing text: String) throws {
        try self.init(parsing: Array(text.utf8))
    }

    /// Parses JSON text given as UTF-8 bytes strictly (RFC 8259): any value may be at the top level.
    ///
    /// - Throws: ``LedgerError`` with code ``LedgerError/Code/invalidArgument`` whose message
    ///   names the byte offset and the reason, such as "invalid UTF-8 byte 0xC0 at byte 3".
    public init(parsing bytes: [UInt8]) throws {
        do {
            self = try JSONParser.parse(bytes)
        } catch {
            throw LedgerError(.invalidArgument, "not valid JSON: \(error)", underlying: error)
        }
    }

    /// The member named `key` when this is an object that has one, else `nil`.
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self {
            return members[key]
        }
        return nil
    }

    /// The element at `index` when this is an array and the index is in range, else `nil`.
    public subscript(index: Int) -> JSONValue? {
        if case .array(let elements) = self, elements.indices.contains(index) {
            return elements[index]
        }
        return nil
    }

    /// The string, when this is a string.
    public var stringValue: String? {
        if case .string(let value) = self {
            return value
        }
        return nil
    }

    /// The number, when this is a number.
    public var doubleValue: Double? {
        if case .number(let value) = self {
            return value
        }
        return nil
    }

    /// The number as an `Int`, when this is a number with no fractional part that fits an `Int`.
    public var intValue: Int? {
        if case .number(let value) = self {
            return Int(exactly: value)
        }
        return nil
    }

    /// The Boolean, when this is `true` or `false`.
    public var boolValue: Bool? {
        if case .bool(let value) = self {
            return value
        }
        return nil
    }

    /// The elements, when this is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let elements) = self {
            return elements
        }
        return nil
    }

    /// The members, when this is an object.
    public var objectValue: [String: JSONValue]? {
        if case .object(let members) = self {
            return members
        }
        return nil
    }

    /// Whether this is `null`.
    public var isNull: Bool {
        self == .null
    }
}

extension JSONValue: ExpressibleByNilLiteral {
    /// Creates `null` from `nil`.
    public init(nilLiteral: ()) {
        self = .null
    }
}

extension JSONValue: ExpressibleByBooleanLiteral {
    /// Creates a Boolean value.
    public init(booleanLiteral value: Bool) {
        self = .bool(value)
    }
}

extension JSONValue: ExpressibleByIntegerLiteral {
    /// Creates a number from an integer literal.
    public init(integerLiteral value: Int) {
        self = .number(Double(value))
    }
}

extension JSONValue: ExpressibleByFloatLiteral {
    /// Creates a number from a floating-point literal.
    public init(floatLiteral value: Double) {
        self = .number(value)
    }
}

extension JSONValue: ExpressibleByStringLiteral {
    /// Creates a string value.
    public init(stringLiteral value: String) {
        self = .string(value)
    }
}

extension JSONValue: ExpressibleByArrayLiteral {
    /// Creates an array value.
    public init(arrayLiteral elements: JSONValue...) {
        self = .array(elements)
    }
}

extension JSONValue: ExpressibleByDictionaryLiteral {
    /// Creates an object value; when a name repeats, its last value wins.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
