/// The hot path: one pass over an item's bytes that validates the whole document (with the same
/// rules as the full parser) and materializes only the top-level members classification needs,
/// skipping everything else without allocating.
///
/// A repeated member name counts with its last value, as in Python's `json.loads`. The `role` and
/// `type` members count as absent when they hold something else than a string. The tool-name
/// members (`name`, `namespace`, `server_label`) are taken as the SDK takes them: `str()` of any
/// value but `null` (`7` is `"7"`), with Python's truthiness where the SDK tests it.
struct ItemScanner {
    /// The top-level members the scan reads. The members from `content` on only carry texts,
    /// which a scan without texts skips: keep them last.
    private enum Field: Int {
        case role
        case type
        case name
        case namespace
        case serverLabel
        case content
        case arguments
        case input
        case output
        case summary
        case error
        case code
        case queries
        case action
    }

    /// What the item's `content` member holds.
    private enum Content {
        case missing
        case null
        case string(String)
        /// Anything else, by the offset where it starts in the item (re-encoded for a user item).
        case other(start: Int)
    }

    /// The item types the rules single out, recognized from the `type` member's bytes.
    private enum KnownType {
        case functionCall
        case computerCall
        case fileSearchCall
        case webSearchCall
        case codeInterpreterCall
        case toolSearchCall
        case toolSearchOutput
        case customToolCall
        case mcpCall
        case mcpApprovalRequest
        case shellCall
        case applyPatchCall

        static let all: [(name: StaticString, type: KnownType)] = [
            ("function_call", .functionCall), ("computer_call", .computerCall),
            ("file_search_call", .fileSearchCall), ("web_search_call", .webSearchCall),
            ("code_interpreter_call", .codeInterpreterCall), ("tool_search_call", .toolSearchCall),
            ("tool_search_output", .toolSearchOutput), ("custom_tool_call", .customToolCall),
            ("mcp_call", .mcpCall), ("mcp_approval_request", .mcpApprovalRequest),
            ("shell_call", .shellCall), ("apply_patch_call", .applyPatchCall),
        ]

        /// Counted by `toolUsage` (``ItemFacts/toolCallTypes``).
        var isToolCall: Bool {
            self != .toolSearchOutput
        }
    }

    /// The `role` member when it is the string `user` or `assistant`.
    private enum Role {
        case user
        case assistant
    }

    private var role: Role?
    private var type: String?
    private var knownType: KnownType?
    /// The tool-name members as Python's `str()` of them with their truthiness; `nil` when
    /// missing or `null`.
    private var name: (text: String, isTruthy: Bool)?
    private var namespace: (text: String, isTruthy: Bool)?
    private var serverLabel: (text: String, isTruthy: Bool)?
    private var hasServerLabel = false
    private var content = Content.missing
    /// The texts of the content's parts (the `text` of object parts, plain string parts).
    private var contentTexts: [String] = []
    /// Other human text, tagged by the member it came from (so a repeated member replaces it).
    private var pieces: [(field: Field, text: String)] = []
    private var seenFields = 0
    /// Whether the scan materializes the item's texts; without them it only validates the
    /// text-bearing members, which is most of the work saved when replaying the log.
    private let includesTexts: Bool

    private init(includesTexts: Bool) {
        self.includesTexts = includesTexts
    }

    /// The facts of the item in `buffer`, which must be a JSON object. With `includingTexts`
    /// false, the texts (``ItemFacts/turnContent``, ``ItemFacts/findTexts``,
    /// ``ItemFacts/searchText``) are left empty and ``ItemFacts/includesTexts`` is false; the
    /// whole document is validated either way.
    ///
    /// - Throws: ``LedgerError`` with code ``LedgerError/Code/invalidItem``: "item is not valid
    ///   JSON: ..." with the byte offset and reason, or "item is not a JSON object: ...".
    static func facts(of buffer: UnsafeRawBufferPointer, includingTexts: Bool = true) throws -> ItemFacts {
        var notAnObject: String?
        let facts: ItemFacts?
        do {
            facts = try JSONParser.run(buffer) { parser throws(JSONParseError) -> ItemFacts? in
                parser.skipWhitespace()
                guard parser.peek() == UInt8(ascii: "{") else {
                    let start = parser.position
                    try parser.skipDocument()
                    notAnObject = Self.kind(of: parser.base[start])
                    return nil
                }
                var scanner = ItemScanner(includesTexts: includingTexts)
                try scanner.scanMembers(&parser)
                try parser.expectEndOfDocument()
                return try scanner.makeFacts(&parser)
            }
        } catch {
            throw LedgerError(.invalidItem, "item is not valid JSON: \(error)", underlying: error)
        }
        guard let facts else {
            throw LedgerError(
                .invalidItem,
                "item is not a JSON object: it is \(notAnObject ?? "another value"); an item must be an object "
                    + #"such as {"role":"user","content":"Hello"}"#
            )
        }
        return facts
    }

    private static func kind(of firstByte: UInt8) -> String {
        switch firstByte {
        case UInt8(ascii: "["): "an array"
        case UInt8(ascii: "\""): "a string"
        case UInt8(ascii: "t"), UInt8(ascii: "f"): "a Boolean"
        case UInt8(ascii: "n"): "null"
        default: "a number"
        }
    }

    // MARK: The pass

    private mutating func scanMembers(_ parser: inout JSONParser) throws(JSONParseError) {
        guard try parser.beginObject() else {
            return
        }
        repeat {
            let nameToken = try parser.readMemberName()
            guard let field = Self.field(named: nameToken, in: parser) else {
                try parser.skipValue()
                continue
            }
            let bit = 1 << field.rawValue
            if seenFields & bit != 0 {
                pieces.removeAll { $0.field == field }
            }
            seenFields |= bit
            if !includesTexts && field.rawValue >= Field.content.rawValue {
                try parser.skipValue()
                continue
            }
            switch field {
            case .role:
                role = nil
                if parser.peek() == UInt8(ascii: "\"") {
                    let token = try parser.scanString()
                    if Self.isName(token, "user", in: parser) {
                        role = .user
                    } else if Self.isName(token, "assistant", in: parser) {
                        role = .assistant
                    }
                } else {
                    try parser.skipValue()
                }
            case .type:
                type = nil
                knownType = nil
                if parser.peek() == UInt8(ascii: "\"") {
                    let token = try parser.scanString()
                    type = parser.string(of: token)
                    knownType = KnownType.all.first { Self.isName(token, $0.name, in: parser) }?.type
                } else {
                    try parser.skipValue()
                }
            case .name:
                name = try PythonJSONEncoder.pythonStr(&parser)
            case .namespace:
                namespace = try PythonJSONEncoder.pythonStr(&parser)
            case .serverLabel:
                hasServerLabel = true
                serverLabel = try PythonJSONEncoder.pythonStr(&parser)
            case .content:
                try readContent(&parser)
            case .arguments, .input, .error, .code:
                if let text = try readOptionalString(&parser) {
                    pieces.append((field, text))
                }
            case .output:
                if parser.peek() == UInt8(ascii: "[") {
                    let texts = try readParts(&parser, field: field)
                    pieces.append(contentsOf: texts.map { (field, $0) })
                } else if let text = try readOptionalString(&parser) {
                    pieces.append((field, text))
                }
            case .summary:
                let texts = try readParts(&parser, field: field)
                pieces.append(contentsOf: texts.map { (field, $0) })
            case .queries:
                try readStrings(&parser, field: field)
            case .action:
                try readAction(&parser)
            }
        } while try parser.endMember()
    }

    /// The field a member name stands for, compared byte for byte (after decoding escapes).
    private static func field(named token: JSONParser.StringToken, in parser: JSONParser) -> Field? {
        if token.hasEscapes {
            var name = parser.string(of: token)
            return name.withUTF8 { field(named: $0) }
        }
        return field(named: UnsafeBufferPointer(start: parser.base + token.start, count: token.end - token.start))
    }

    private static func field(named name: UnsafeBufferPointer<UInt8>) -> Field? {
        func matches(_ candidate: StaticString) -> Bool {
            let bytes = candidate.utf8Start
            for index in 0..<name.count where name[index] != bytes[index] {
                return false
            }
            return true
        }
        switch name.count {
        case 4:
            if matches("role") { return .role }
            if matches("type") { return .type }
            if matches("name") { return .name }
            if matches("code") { return .code }
        case 5:
            if matches("input") { return .input }
            if matches("error") { return .error }
        case 6:
            if matches("output") { return .output }
            if matches("action") { return .action }
        case 7:
            if matches("content") { return .content }
            if matches("summary") { return .summary }
            if matches("queries") { return .queries }
        case 9:
            if matches("arguments") { return .arguments }
            if matches("namespace") { return .namespace }
        case 12:
            if matches("server_label") { return .serverLabel }
        default:
            break
        }
        return nil
    }

    /// The string at the cursor, or `nil` (after skipping the value) when it is not a string.
    private func readOptionalString(_ parser: inout JSONParser) throws(JSONParseError) -> String? {
        if parser.peek() == UInt8(ascii: "\"") {
            return try parser.readString()
        }
        try parser.skipValue()
        return nil
    }

    private mutating func readContent(_ parser: inout JSONParser) throws(JSONParseError) {
        contentTexts.removeAll()
        switch parser.peek() {
        case UInt8(ascii: "\""):
            content = .string(try parser.readString())
        case UInt8(ascii: "n"):
            try parser.skipValue()
            content = .null
        case UInt8(ascii: "["):
            content = .other(start: parser.position)
            contentTexts = try readParts(&parser, field: .content)
        default:
            content = .other(start: parser.position)
            try parser.skipValue()
        }
    }

    /// Reads a list of parts and returns the `text` of each object part (and each plain string);
    /// a part's `refusal` goes to the search pieces. Anything but an array is skipped.
    private mutating func readParts(_ parser: inout JSONParser, field: Field) throws(JSONParseError) -> [String] {
        var texts: [String] = []
        guard parser.peek() == UInt8(ascii: "[") else {
            try parser.skipValue()
            return texts
        }
        guard try parser.beginArray() else {
            return texts
        }
        repeat {
            switch parser.peek() {
            case UInt8(ascii: "\""):
                texts.append(try parser.readString())
            case UInt8(ascii: "{"):
                var text: String?
                var refusal: String?
                if try parser.beginObject() {
                    repeat {
                        let nameToken = try parser.readMemberName()
                        if Self.isName(nameToken, "text", in: parser) {
                            text = try readOptionalString(&parser)
                        } else if Self.isName(nameToken, "refusal", in: parser) {
                            refusal = try readOptionalString(&parser)
                        } else {
                            try parser.skipValue()
                        }
                    } while try parser.endMember()
                }
                if let text {
                    texts.append(text)
                }
                if let refusal {
                    pieces.append((field, refusal))
                }
            default:
                try parser.skipValue()
            }
        } while try parser.endElement()
        return texts
    }

    /// Reads an array of strings into the search pieces (other elements are skipped).
    private mutating func readStrings(_ parser: inout JSONParser, field: Field) throws(JSONParseError) {
        guard parser.peek() == UInt8(ascii: "[") else {
            try parser.skipValue()
            return
        }
        if try parser.beginArray() {
            repeat {
                if let text = try readOptionalString(&parser) {
                    pieces.append((field, text))
                }
            } while try parser.endElement()
        }
    }

    /// Reads an `action` object's `query` string and `commands` strings into the search pieces.
    private mutating func readAction(_ parser: inout JSONParser) throws(JSONParseError) {
        guard parser.peek() == UInt8(ascii: "{") else {
            try parser.skipValue()
            return
        }
        if try parser.beginObject() {
            repeat {
                let nameToken = try parser.readMemberName()
                if Self.isName(nameToken, "query", in: parser) {
                    if let text = try readOptionalString(&parser) {
                        pieces.append((.action, text))
                    }
                } else if Self.isName(nameToken, "commands", in: parser) {
                    try readStrings(&parser, field: .action)
                } else {
                    try parser.skipValue()
                }
            } while try parser.endMember()
        }
    }

    private static func isName(_ token: JSONParser.StringToken, _ name: StaticString, in parser: JSONParser) -> Bool {
        if token.hasEscapes {
            return parser.string(of: token).utf8.elementsEqual(
                UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
            )
        }
        guard token.end - token.start == name.utf8CodeUnitCount else {
            return false
        }
        let bytes = name.utf8Start
        for index in 0..<name.utf8CodeUnitCount where parser.base[token.start + index] != bytes[index] {
            return false
        }
        return true
    }

    // MARK: The facts

    private func makeFacts(_ parser: inout JSONParser) throws(JSONParseError) -> ItemFacts {
        let isUser = role == .user
        let itemType: String
        switch role {
        case .user:
            itemType = "user"
        case .assistant:
            itemType = "assistant"
        case nil:
            itemType = type?.isEmpty == false ? type! : "other"
        }
        // The item type is the `type` member (so a known type) only when the role is neither.
        let typeOfItem = role == nil ? knownType : nil
        let toolName = self.toolName()

        var texts = Texts()
        if includesTexts {
            texts = try makeTexts(&parser, isUser: isUser, toolName: toolName)
        }
        return ItemFacts(
            isUser: isUser,
            itemType: itemType,
            toolName: toolName,
            isToolCall: typeOfItem?.isToolCall ?? false,
            isToolSearchOutput: typeOfItem == .toolSearchOutput,
            turnContent: texts.turnContent,
            previewText: texts.previewText,
            findTexts: texts.findTexts,
            searchText: texts.searchText,
            includesTexts: includesTexts
        )
    }

    /// The texts of ``ItemFacts`` (empty for a classification without texts).
    private struct Texts {
        var turnContent: String?
        var previewText: String?
        var findTexts: [String] = []
        var searchText = ""
    }

    /// The texts of ``ItemFacts``: the turn content, preview text and find texts of a user item,
    /// and the search text of any item.
    private func makeTexts(
        _ parser: inout JSONParser,
        isUser: Bool,
        toolName: String?
    ) throws(JSONParseError) -> Texts {
        var texts = Texts()
        if isUser {
            switch content {
            case .missing:
                texts.turnContent = ""
                texts.previewText = ""
            case .null:
                texts.turnContent = ""
                texts.previewText = "null"
            case .string(let text):
                texts.turnContent = text
                texts.previewText = text
                texts.findTexts = [text]
            case .other(let start):
                parser.position = start
                texts.turnContent = try PythonJSONEncoder.encode(&parser)
                parser.position = start
                texts.previewText = try PythonJSONEncoder.encode(&parser, ensureASCII: false)
                texts.findTexts = contentTexts
            }
        }

        let hasToolName = toolName?.isEmpty == false
        if case .string(let text) = content, !hasToolName, pieces.isEmpty {
            texts.searchText = text
        } else {
            var searchPieces: [String] = []
            if let toolName, hasToolName {
                searchPieces.append(toolName)
            }
            if case .string(let text) = content {
                searchPieces.append(text)
            } else {
                searchPieces.append(contentsOf: contentTexts)
            }
            searchPieces.append(contentsOf: pieces.map(\.text))
            texts.searchText = searchPieces.count == 1 ? searchPieces[0] : searchPieces.joined(separator: "\n")
        }
        return texts
    }

    /// SEMANTICS.md's tool name rules, in the SDK's order (they read the item's `type` member,
    /// whatever its role).
    private func toolName() -> String? {
        switch knownType {
        case .mcpCall? where hasServerLabel, .mcpApprovalRequest? where hasServerLabel:
            // `if tool_name and server_label:`: Python's truthiness of the members' values.
            let label = serverLabel?.isTruthy == true ? serverLabel?.text : nil
            let tool = name?.isTruthy == true ? name?.text : nil
            switch (label, tool) {
            case (let label?, let tool?):
                return label + "." + tool
            case (let label?, nil):
                return label
            case (nil, let tool?):
                return tool
            case (nil, nil):
                return nil
            }
        case .computerCall?, .fileSearchCall?, .webSearchCall?, .codeInterpreterCall?, .shellCall?, .applyPatchCall?:
            return type
        case .toolSearchCall?, .toolSearchOutput?:
            return "tool_search"
        default:
            break
        }
        guard let name = name?.text else {
            return nil
        }
        let namespace = namespace?.text
        // "namespace.name", except for the SDK's reserved shape namespace == name (a deferred
        // top-level tool), and for an empty name or namespace.
        if let namespace, !namespace.isEmpty, !name.isEmpty, namespace != name {
            return namespace + "." + name
        }
        return name
    }
}
