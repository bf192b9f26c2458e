/// Reads one line of `agentledger export` (the JSON Lines of `agentledger log --json`) back into
/// an event, taking item JSON verbatim from the line.
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
            throw fail("not valid JSON: \(error.message)")
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
        func item(_ range: Range<Int>) throws -> SessionItem {
            do {
                return try SessionItem(jsonBytes: Array(bytes[range]))
            } catch let error as LedgerError {
                throw fail(error.message)
            }
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
            payload = .itemsAdded(try RawJSONSpans.elements(of: range, in: bytes).map(item))
        case .itemPopped:
            guard let range = RawJSONSpans.member("item", in: bytes) else {
                throw fail("missing \"item\"")
            }
            payload = .itemPopped(
                item: try item(range),
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
            let detailsText = details.map { String(decoding: usageBytes[$0], as: UTF8.self) }
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
