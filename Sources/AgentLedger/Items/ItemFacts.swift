/// What the read model needs to know about one item, derived from the item alone by the rules of
/// SEMANTICS.md ("Turns"), which follow the OpenAI Agents SDK's `AdvancedSQLiteSession`.
///
/// Computed once, by a single pass over the item's bytes (``ItemScanner``), when the item is
/// created or replayed from the log.
struct ItemFacts: Sendable, Equatable {
    /// The item calls (or, with `mcp_approval_request`, asks to call) a tool, counted by
    /// `toolUsage`: these item types.
    static let toolCallTypes: Set<String> = [
        "function_call", "computer_call", "file_search_call", "web_search_call", "code_interpreter_call",
        "tool_search_call", "custom_tool_call", "mcp_call", "mcp_approval_request", "shell_call",
        "apply_patch_call",
    ]

    /// The number of characters (Unicode code points) a preview keeps before "...".
    static let previewLengthCharacters = 100

    /// `"role": "user"`: the item starts a new turn.
    var isUser: Bool
    /// `user` or `assistant` by role first, else the `type` string, else `other`. A `system` or
    /// `developer` role is not special (as in the SDK): such a message is its `type` or `other`.
    var itemType: String
    /// The tool the item calls or answers, by SEMANTICS.md's rules; `nil` when none.
    var toolName: String?
    /// The item is a tool call counted by `toolUsage` (its ``itemType`` is in ``toolCallTypes``).
    var isToolCall: Bool
    /// The item's ``itemType`` is `tool_search_output` (counted as a `tool_search` call only in a
    /// turn without a `tool_search_call`).
    var isToolSearchOutput: Bool
    /// For a user item, its content as `get_conversation_turns` shows it: a string as it is, any
    /// other content (a list of parts) JSON-encoded as Python's `json.dumps` does by default (see
    /// ``PythonJSONEncoder``); a missing or `null` content is `""`. `nil` for other items.
    var turnContent: String?
    /// For a user item, the text its preview cuts, as the SDK's `_content_preview` makes it: a
    /// string content as it is, any other content as `json.dumps(content, ensure_ascii=False)`
    /// (so `null` is `"null"`, and characters beyond ASCII stay as they are); a missing content
    /// is `""`. `nil` for other items.
    var previewText: String?
    /// For a user item, the texts a content search looks in: the content string, or the `text`
    /// of each of its parts (a part that is a plain string counts as its own text). Empty for
    /// other items. JSON member names are never part of it.
    var findTexts: [String]
    /// The human text of the item for full-text search: the tool name, content strings and the
    /// `text` and `refusal` of content parts, `arguments`, `input`, `output` (a string, or the
    /// texts of its parts), `error`, `code`, reasoning `summary` texts, file search `queries`, and
    /// an `action`'s `query` and `commands`; one per line. Never JSON member names, ids or types.
    var searchText: String
    /// Whether ``turnContent``, ``previewText``, ``findTexts`` and ``searchText`` were derived; a
    /// classification made only for the projector (``SessionItem/classification``) leaves them empty.
    var includesTexts: Bool

    /// The 100-character preview of ``previewText`` (see ``preview(of:)``); `nil` for other items.
    var preview: String? {
        previewText.map(Self.preview(of:))
    }

    /// The text a content search matches, for a user item: ``findTexts`` one per line.
    var findText: String? {
        isUser ? findTexts.joined(separator: "\n") : nil
    }

    /// Whether this is a user item whose content (a string, or the text of one of its parts)
    /// contains `term` as a literal, case-insensitive substring, as `findTurns(containing:)` needs.
    ///
    /// `%`, `_`, quotes and backslashes are literal. Case-insensitive means full Unicode case
    /// folding, approximated as in ``foldCase(_:)`` ("STRASSE" finds "Straße", "ΣΟΦΊΑ" finds
    /// "σοφία"); the comparison is then by Swift characters, so canonically equivalent spellings
    /// match (a precomposed "é" finds a decomposed one) and a term never matches half of a
    /// character (an "e" does not match the "e" inside a decomposed "é", nor "👩" one person of
    /// the family emoji "👨‍👩‍👧"). An empty term matches every user item.
    func userContentContains(_ term: String) -> Bool {
        guard isUser else {
            return false
        }
        if term.isEmpty {
            return true
        }
        let foldedTerm = Self.foldCase(term)
        // `firstRange(of:)` compares characters; `contains(_:)` on two `String` values resolves
        // to Foundation's, which matches inside emoji sequences and flags.
        return findTexts.contains { Self.foldCase($0).firstRange(of: foldedTerm) != nil }
    }

    /// Folds case for case-insensitive matching: lowercase of uppercase, which gives Unicode's
    /// full case folding for nearly every character ("ß" and "SS" both become "ss", final "ς" and
    /// "Σ" both "σ").
    static func foldCase(_ text: String) -> String {
        text.uppercased().lowercased()
    }

    /// `text` cut to 100 Unicode code points followed by "..." when it is longer, as the SDK's
    /// Python slicing `content[:100] + "..."` does (Python counts code points, not graphemes).
    static func preview(of text: String) -> String {
        var scalars = text.unicodeScalars.makeIterator()
        var kept = String.UnicodeScalarView()
        for _ in 0..<previewLengthCharacters {
            guard let scalar = scalars.next() else {
                return text
            }
            kept.append(scalar)
        }
        guard scalars.next() != nil else {
            return text
        }
        return String(kept) + "..."
    }
}
