/// One conversation item: a JSON object such as `{"role":"user","content":"Hello"}` or
/// `{"type":"function_call","name":"get_weather","arguments":"{}","call_id":"c1"}`.
///
/// The item keeps the exact text it was given, byte for byte: unicode, escapes (`"\u0000"`
/// stays six characters), member order, whitespace and unknown members all round-trip through
/// the ledger unchanged. The text is validated once, strictly (RFC 8259), when the item is made.
/// Two items are equal when their texts are byte for byte equal.
///
/// ```swift
/// let item = try SessionItem(json: #"{"role": "user", "content": "What's the weather?"}"#)
/// item.json                    // the same text, exactly
/// item.value["role"]           // .string("user")
/// ```
///
/// The store's size limit (`maxItemBytes`) is checked when items are added, not here.
public struct SessionItem: Sendable, Hashable, CustomStringConvertible {
    /// The item's JSON text as UTF-8 bytes, exactly as given.
    public let jsonBytes: [UInt8]
    /// What the read model needs to know about the item, computed when it was made; `nil` for
    /// an item read back from the read model, whose facts are derived only if asked for.
    private let knownFacts: ItemFacts?

    /// What the read model needs to know about the item, texts included.
    var facts: ItemFacts {
        if let knownFacts, knownFacts.includesTexts {
            return knownFacts
        }
        return Self.facts(of: jsonBytes, includingTexts: true)
    }

    /// The item's classification (type, role, tool), as the projector needs it; its texts
    /// may be empty (see ``ItemFacts/includesTexts``).
    var classification: ItemFacts {
        knownFacts ?? Self.facts(of: jsonBytes, includingTexts: false)
    }

    private static func facts(of bytes: [UInt8], includingTexts: Bool) -> ItemFacts {
        do {
            return try classify(bytes: bytes, includingTexts: includingTexts)
        } catch {
            preconditionFailure("SessionItem holds JSON that does not classify: \(error)")
        }
    }

    /// Creates an item from JSON text.
    ///
    /// - Throws: ``LedgerError`` with code ``LedgerError/Code/invalidItem`` when the text is not
    ///   valid JSON ("item is not valid JSON: unexpected character 'x' at byte 17") or not an object.
    public init(json: String) throws {
        try self.init(jsonBytes: Array(json.utf8))
    }

    /// Creates an item from JSON text given as UTF-8 bytes.
    ///
    /// - Throws: ``LedgerError`` with code ``LedgerError/Code/invalidItem`` when the bytes are not
    ///   valid UTF-8 JSON ("item is not valid JSON: invalid UTF-8 byte 0xC0 at byte 12") or not an
    ///   object.
    public init(jsonBytes: [UInt8]) throws {
        let facts = try Self.classify(bytes: jsonBytes, includingTexts: false)
        self.init(validatedBytes: jsonBytes, facts: facts)
    }

    /// Creates an item from a value, written as ``JSONValue/jsonText`` (compact, sorted members).
    ///
    /// - Throws: ``LedgerError`` with code ``LedgerError/Code/invalidItem`` when the value is not an
    ///   object, nests deeper than an item may (512 arrays and objects), or contains a NaN (which
    ///   JSON cannot express).
    public init(_ value: JSONValue) throws {
        guard case .object = value else {
            // Not the text of an array: it may be too deep to write.
            let shown = if case .array = value { "an array" } else { String(value.jsonText.prefix(40)) }
            throw LedgerError(
                .invalidItem,
                "item is not a JSON object: it is \(shown); an item must be an object "
                    + #"such as {"role":"user","content":"Hello"}"#
            )
        }
        // Checked before the text is written: writing it recurses once per level.
        switch value.itemProblem(depthLimit: JSONParser.maxDepth) {
        case .tooDeep:
            throw LedgerError(
                .invalidItem,
                "item nests deeper than \(JSONParser.maxDepth) arrays and objects, the limit of an item"
            )
        case .nan:
            throw LedgerError(.invalidItem, "item contains a NaN number, which JSON cannot express")
        case nil:
            try self.init(jsonBytes: value.jsonBytes)
        }
    }

    /// Creates an item from bytes already validated and classified (when replaying the log).
    init(validatedBytes: [UInt8], facts: ItemFacts) {
        self.jsonBytes = validatedBytes
        self.knownFacts = facts
    }

    /// Creates an item from JSON the ledger stored after validating it (a read-model row).
    /// Reads skip the scan: the facts are derived only if the item is added again.
    init(storedJSON: String) {
        self.jsonBytes = Array(storedJSON.utf8)
        self.knownFacts = nil
    }

    /// Creates an item from the bytes of a read-model row's JSON, as ``init(storedJSON:)``.
    init(storedBytes: UnsafeRawBufferPointer) {
        self.jsonBytes = [UInt8](storedBytes)
        self.knownFacts = nil
    }

    /// Validates an item's bytes and derives its facts, without keeping the bytes.
    ///
    /// - Throws: ``LedgerError`` with code ``LedgerError/Code/invalidItem``, as ``init(jsonBytes:)``.
    static func classify(bytes: [UInt8], includingTexts: Bool = true) throws -> ItemFacts {
        try bytes.withUnsafeBytes { try ItemScanner.facts(of: $0, includingTexts: includingTexts) }
    }

    /// Validates an item's bytes in place (a slice of a decoded log batch) and derives its facts.
    ///
    /// - Throws: ``LedgerError`` with code ``LedgerError/Code/invalidItem``, as ``init(jsonBytes:)``.
    static func classify(bytes: UnsafeRawBufferPointer) throws -> ItemFacts {
        try ItemScanner.facts(of: bytes)
    }

    /// The item's JSON text, exactly as given.
    public var json: String {
        String(decoding: jsonBytes, as: UTF8.self)
    }

    /// The item parsed into a ``JSONValue`` (parsed anew on every call; keep the result if you
    /// need it more than once).
    public var value: JSONValue {
        do {
            return try JSONParser.parse(jsonBytes)
        } catch {
            preconditionFailure("SessionItem holds JSON that does not parse: \(error)")
        }
    }

    /// The item's JSON text, as ``json``.
    public var description: String {
        json
    }

    /// Whether two items have byte for byte the same text.
    public static func == (lhs: SessionItem, rhs: SessionItem) -> Bool {
        lhs.jsonBytes == rhs.jsonBytes
    }

    /// Hashes the item's bytes.
    public func hash(into hasher: inout Hasher) {
        jsonBytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}
