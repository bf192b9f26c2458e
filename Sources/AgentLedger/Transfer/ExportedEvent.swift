/// Reads one line of `agentledger export` (the JSON Lines of `agentledger log --json`) back into
/// an event, taking item JSON verbatim from the line, or from its `items_exact`, `item_exact` or
/// `details_exact` string when the export wrote the value on one line in place of line breaks.
enum ExportedEvent {
    /// Decodes a line; `line` names it in errors (a line number).
    static func decode(_ bytes: [UInt8], line: Int) throws -> LedgerEvent {
        func fail(_ reason: String) -> LedgerError {
            LedgerError(.invalidArgument, "line \(line): \(reason)")
        }
        let value: JSONValue
        do {
            // The line's own two levels (the event object, and its `items` array or `usage`
            // object) sit above the items and usage details, which may nest as deep as the
            // store accepted them: `maxDepth` below those two levels. Each item is checked
            // against `maxDepth` on its own again when it is made.
            value = try JSONParser.parse(bytes, depthLimit: JSONParser.maxDepth + 2)
        } catch {
            throw fail("not valid JSON: \(error)")
        }
        guard case .object = value else {
            throw fail("an event must be a JSON object")
        }
        guard let kindName = value["kind"]?.stringValue, let kind = EventKind(name: kindName) else {
            throw fail("missing or unknown \"kind\"")
        }
        guard let session = value["session"]?.stringValue, let branch = value["branch"]?.stringValue else {
            throw fail("missing \"session\" or \"branch\"")
        }
        // Checked here, so that a name no store can hold is refused with its line, before the
        // import writes anything.
        do {
            try Validation.checkSessionID(session)
            try Validation.checkBranchName(branch)
        } catch {
            throw fail(error.message)
        }
        let given = value["seq"]?.intValue ?? 0
        guard given >= 0 else {
            throw fail("\"seq\" must be a sequence number, 0 or more, not \(given)")
        }
        let sequence = UInt64(given)
        func item(_ json: [UInt8]) throws -> SessionItem {
            do {
                return try SessionItem(jsonBytes: json)
            } catch let error as LedgerError {
                throw fail(error.message)
            }
        }
        /// The exact text the `_exact` member `name` gives for the value written on the line as
        /// `line`, or `line` when there is none. It must hold the same JSON value: an edit of the
        /// line (a redaction, say) must not be undone by a stale exact text.
        func exact(_ member: JSONValue?, named name: String, line: [UInt8]) throws -> [UInt8] {
            guard let member, member != .null else {
                return line
            }
            guard let text = member.stringValue else {
                throw fail("\"\(name)\" must be a string or null")
            }
            let exact = Array(text.utf8)
            guard let exactValue = try? JSONValue(parsing: exact), exactValue == (try? JSONValue(parsing: line)) else {
                throw fail("\"\(name)\" does not hold the JSON value written on the line")
            }
            return exact
        }
        func int(_ key: String) throws -> Int {
            guard let member = value[key] else {
                throw fail("missing number \"\(key)\"")
            }
            guard let number = member.intValue else {
                throw fail("\"\(key)\" must be a whole number that fits 64 bits, not \(member.jsonText.prefix(40))")
            }
            return number
        }
        let payload: EventPayload
        switch kind {
        case .itemsAdded:
            guard let range = RawJSONSpans.member("items", in: bytes) else {
                throw fail("missing \"items\"")
            }
            // Anything else has no elements: the line would be imported as an add of nothing.
            guard range.lowerBound < bytes.count, bytes[range.lowerBound] == UInt8(ascii: "[") else {
                throw fail("\"items\" must be an array of items")
            }
            let spans = RawJSONSpans.elements(of: range, in: bytes)
            var exacts: [JSONValue?] = Array(repeating: nil, count: spans.count)
            if let member = value["items_exact"] {
                guard let array = member.arrayValue, array.count == spans.count else {
                    throw fail("\"items_exact\" must be an array with one entry per item (\(spans.count))")
                }
                exacts = array
            }
            payload = .itemsAdded(
                try spans.enumerated().map { index, span in
                    try item(exact(exacts[index], named: "items_exact", line: Array(bytes[span])))
                }
            )
        case .itemPopped:
            guard let range = RawJSONSpans.member("item", in: bytes) else {
                throw fail("missing \"item\"")
            }
            // A sequence number is never negative; converting one to UInt64 would trap.
            let itemSequence = try int("item_seq")
            guard itemSequence >= 0 else {
                throw fail("\"item_seq\" must be a sequence number, 0 or more, not \(itemSequence)")
            }
            payload = .itemPopped(
                item: try item(exact(value["item_exact"], named: "item_exact", line: Array(bytes[range]))),
                itemSequence: UInt64(itemSequence),
                itemIndex: try int("item_index")
            )
        case .sessionCleared:
            payload = .sessionCleared
        case .branchCreated:
            guard let source = value["source_branch"]?.stringValue else {
                throw fail("missing \"source_branch\"")
            }
            payload = .branchCreated(sourceBranch: source, fromTurn: try int("from_turn"))
        case .branchSwitched:
            payload = .branchSwitched(previousBranch: value["previous_branch"]?.stringValue ?? "main")
        case .branchDeleted:
            payload = .branchDeleted(switchedToMain: value["switched_to_main"]?.boolValue ?? false)
        case .usageRecorded:
            guard let usage = value["usage"] else {
                throw fail("missing \"usage\"")
            }
            // Anything else has no counts: the line would be imported as usage of zero tokens.
            guard usage.objectValue != nil else {
                throw fail("\"usage\" must be an object with the counts")
            }
            let details = RawJSONSpans.member("usage", in: bytes).flatMap {
                RawJSONSpans.member("details", in: Array(bytes[$0]))
            }
            let usageBytes = RawJSONSpans.member("usage", in: bytes).map { Array(bytes[$0]) } ?? []
            let detailsLine = details.map { Array(usageBytes[$0]) }
            let detailsText = try detailsLine.map { line in
                String(decoding: try exact(usage["details_exact"], named: "details_exact", line: line), as: UTF8.self)
            }
            payload = .usageRecorded(
                turn: try int("turn"),
                usage: RunUsage(
                    requests: usage["requests"]?.intValue ?? 0,
                    inputTokens: usage["input_tokens"]?.intValue ?? 0,
                    outputTokens: usage["output_tokens"]?.intValue ?? 0,
                    totalTokens: usage["total_tokens"]?.intValue ?? 0,
                    detailsJSON: detailsText == "null" ? nil : detailsText
                )
            )
        }
        return LedgerEvent(sequence: sequence, timestampMicros: 0, sessionID: session, branch: branch, payload: payload)
    }
}

extension LedgerEvent {
    /// Reads one line of `agentledger export` / `log --json` back into an event (its sequence
    /// number as exported, its time zero); item JSON is taken verbatim from the line.
    ///
    /// - Throws: `invalidArgument` naming `lineNumber` and what is wrong.
    public init(exportLine: [UInt8], lineNumber: Int) throws {
        self = try ExportedEvent.decode(exportLine, line: lineNumber)
    }
}
