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
            value = try JSONValue(parsing: bytes)
        } catch let error as LedgerError {
            throw fail(error.message)  // it begins "not valid JSON: "
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
        let sequence = UInt64(value["seq"]?.intValue ?? 0)
        func item(_ json: [UInt8]) throws -> SessionItem {
            do {
                return try SessionItem(jsonBytes: json)
            } catch let error as LedgerError {
                throw fail(error.message)
            }
        }
        /// The exact text a string member gives, when the export wrote one.
        func exact(_ member: JSONValue?) throws -> [UInt8]? {
            guard let member, member != .null else {
                return nil
            }
            guard let text = member.stringValue else {
                throw fail("an \"_exact\" member must be a string or null")
            }
            return Array(text.utf8)
        }
        func int(_ key: String) throws -> Int {
            guard let number = value[key]?.intValue else {
                throw fail("missing number \"\(key)\"")
            }
            return number
        }
        let payload: EventPayload
        switch kind {
        case .itemsAdded:
            guard let range = RawJSONSpans.member("items", in: bytes) else {
                throw fail("missing \"items\"")
            }
            let spans = RawJSONSpans.elements(of: range, in: bytes)
            let exacts = value["items_exact"]?.arrayValue ?? []
            guard exacts.isEmpty || exacts.count == spans.count else {
                throw fail("\"items_exact\" has \(exacts.count) entries for \(spans.count) items")
            }
            payload = .itemsAdded(
                try spans.enumerated().map { index, span in
                    try item(exacts.isEmpty ? Array(bytes[span]) : try exact(exacts[index]) ?? Array(bytes[span]))
                }
            )
        case .itemPopped:
            guard let range = RawJSONSpans.member("item", in: bytes) else {
                throw fail("missing \"item\"")
            }
            payload = .itemPopped(
                item: try item(try exact(value["item_exact"]) ?? Array(bytes[range])),
                itemSequence: UInt64(try int("item_seq")),
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
            let details = RawJSONSpans.member("usage", in: bytes).flatMap {
                RawJSONSpans.member("details", in: Array(bytes[$0]))
            }
            let usageBytes = RawJSONSpans.member("usage", in: bytes).map { Array(bytes[$0]) } ?? []
            let detailsExact = try exact(usage["details_exact"]).map { String(decoding: $0, as: UTF8.self) }
            if let detailsExact, (try? JSONValue(parsing: Array(detailsExact.utf8))) == nil {
                throw fail("\"details_exact\" is not valid JSON")
            }
            let detailsText = detailsExact ?? details.map { String(decoding: usageBytes[$0], as: UTF8.self) }
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
