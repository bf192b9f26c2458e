import AgentLedger

/// How `agentledger log` prints one event: a line for people, or a JSON object.
enum EventFormatter {
    /// `SEQ  TIME  SESSION  BRANCH  KIND  SUMMARY` on one line; session, branch and previews
    /// are shown with control characters escaped.
    static func line(_ event: LedgerEvent) -> String {
        [
            "\(event.sequence)",
            Timestamp.format(micros: event.timestampMicros),
            TextTable.display(event.sessionID),
            TextTable.display(event.branch),
            event.kind.name,
            summary(event.payload),
        ]
        .joined(separator: "  ")
    }

    /// A short description of what the event did.
    static func summary(_ payload: EventPayload) -> String {
        switch payload {
        case .itemsAdded(let items):
            let count = items.count == 1 ? "1 item" : "\(items.count) items"
            guard let first = items.first else {
                return count
            }
            return count + ": " + TextTable.preview(first.json)
        case .itemPopped(let item, let itemSequence, let itemIndex):
            return "popped \(TextTable.preview(item.json)) (added by \(itemSequence), index \(itemIndex))"
        case .sessionCleared:
            return "cleared every branch; main is current"
        case .branchCreated(let sourceBranch, let fromTurn):
            return "created from turn \(fromTurn) of \(TextTable.display(sourceBranch))"
        case .branchSwitched(let previousBranch):
            return "switched from \(TextTable.display(previousBranch))"
        case .branchDeleted(let switchedToMain):
            return switchedToMain ? "deleted; switched to main" : "deleted"
        case .usageRecorded(let turn, let usage):
            return "turn \(turn): \(counted(usage.requests, "request")), \(usage.inputTokens) input, "
                + "\(usage.outputTokens) output, \(usage.totalTokens) total tokens"
        }
    }

    /// `{"seq","time","session","branch","kind", ...the kind's fields}`, item JSON verbatim:
    /// `items` (items_added); `item`, `item_seq`, `item_index` (item_popped); `source_branch`,
    /// `from_turn` (branch_created); `previous_branch` (branch_switched); `switched_to_main`
    /// (branch_deleted); `turn`, `usage` (usage_recorded).
    ///
    /// One line per event: JSON text stored with line breaks between its tokens (an item added
    /// pretty-printed) is written with spaces in their place, the same JSON value, and its exact
    /// text follows as a string in `items_exact` (`null` for the items without), `item_exact` or
    /// the usage's `details_exact`, which `import` restores byte for byte.
    static func json(_ event: LedgerEvent) -> String {
        var object = JSONText()
        object.number("seq", event.sequence)
        object.string("time", Timestamp.format(micros: event.timestampMicros))
        object.string("session", event.sessionID)
        object.string("branch", event.branch)
        object.string("kind", event.kind.name)
        switch event.payload {
        case .itemsAdded(let items):
            object.raw("items", JSONText.array(items.map { JSONText.oneLine($0.json) }))
            if items.contains(where: { JSONText.hasLineBreak($0.json) }) {
                let exact = items.map { JSONText.hasLineBreak($0.json) ? JSONText.string($0.json) : "null" }
                object.raw("items_exact", JSONText.array(exact))
            }
        case .itemPopped(let item, let itemSequence, let itemIndex):
            object.raw("item", JSONText.oneLine(item.json))
            if JSONText.hasLineBreak(item.json) {
                object.string("item_exact", item.json)
            }
            object.number("item_seq", itemSequence)
            object.number("item_index", itemIndex)
        case .sessionCleared:
            break
        case .branchCreated(let sourceBranch, let fromTurn):
            object.string("source_branch", sourceBranch)
            object.number("from_turn", fromTurn)
        case .branchSwitched(let previousBranch):
            object.string("previous_branch", previousBranch)
        case .branchDeleted(let switchedToMain):
            object.bool("switched_to_main", switchedToMain)
        case .usageRecorded(let turn, let usage):
            object.number("turn", turn)
            var fields = JSONText()
            fields.number("requests", usage.requests)
            fields.number("input_tokens", usage.inputTokens)
            fields.number("output_tokens", usage.outputTokens)
            fields.number("total_tokens", usage.totalTokens)
            fields.raw("details", JSONText.oneLine(usage.detailsJSON ?? "null"))
            if let details = usage.detailsJSON, JSONText.hasLineBreak(details) {
                fields.string("details_exact", details)
            }
            object.raw("usage", fields.object)
        }
        return object.object
    }
}
