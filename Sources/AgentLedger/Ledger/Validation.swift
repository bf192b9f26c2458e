/// The limits on names, usage counts and search queries that the ledger enforces.
///
/// Session ids and branch names are stored as SQLite text, which ends at a NUL character, so a
/// NUL in a name is refused rather than silently cut (which could make two names collide).
enum Validation {
    /// The most bytes a session id may have, in UTF-8.
    static let maxSessionIDBytes = 1024
    /// The most bytes a branch name may have, in UTF-8.
    static let maxBranchNameBytes = 256

    static func checkSessionID(_ session: String) throws(LedgerError) {
        let count = session.utf8.count
        if count == 0 {
            throw LedgerError(.invalidArgument, "the session id is empty")
        }
        if count > maxSessionIDBytes {
            throw LedgerError(
                .invalidArgument,
                "the session id is \(count) bytes, over the limit of \(maxSessionIDBytes)"
            )
        }
        if session.utf8.contains(0) {
            throw LedgerError(.invalidArgument, "the session id contains a NUL character")
        }
    }

    static func checkBranchName(_ name: String) throws(LedgerError) {
        let count = name.utf8.count
        if name.allSatisfy(\.isWhitespace) {
            throw LedgerError(.invalidArgument, "the branch name is blank")
        }
        if count > maxBranchNameBytes {
            throw LedgerError(
                .invalidArgument,
                "the branch name is \(count) bytes, over the limit of \(maxBranchNameBytes)"
            )
        }
        if name.utf8.contains(0) {
            throw LedgerError(.invalidArgument, "the branch name contains a NUL character")
        }
    }

    /// The items of one add are within `options`' limits: none over `maxItemBytes`, no more
    /// items and item bytes together than one add's event can hold. `consequence` ends each
    /// message ("nothing was added").
    static func checkAdd(_ items: [SessionItem], options: LedgerOptions, consequence: String) throws(LedgerError) {
        for (index, item) in items.enumerated() where item.jsonBytes.count > options.maxItemBytes {
            throw LedgerError(
                .invalidItem,
                "item \(index) is \(item.jsonBytes.count) bytes, over the limit of \(options.maxItemBytes) "
                    + "(maxItemBytes); \(consequence)"
            )
        }
        if items.count > options.maxItemsPerAdd {
            throw LedgerError(
                .invalidArgument,
                "\(items.count) items are more than one add can hold (\(options.maxItemsPerAdd): its event must be "
                    + "readable back); \(consequence): add them in several calls"
            )
        }
        let bytes = WriteCommand.itemBytes(items)
        if bytes > options.maxAddBytes {
            throw LedgerError(
                .invalidArgument,
                "the \(items.count) items are \(bytes) bytes together, more than one add can hold "
                    + "(\(options.maxAddBytes): its event must fit in one log frame); \(consequence): add them in "
                    + "several calls"
            )
        }
    }

    /// Every count of `usage` is 0 through ``RunUsage/maxFieldValue``, so that summing a
    /// session's records can neither overflow nor go negative. `consequence` ends the message.
    static func checkUsage(_ usage: RunUsage, consequence: String = "nothing was recorded") throws(LedgerError) {
        let fields = [
            ("requests", usage.requests), ("inputTokens", usage.inputTokens), ("outputTokens", usage.outputTokens),
            ("totalTokens", usage.totalTokens),
        ]
        for (name, value) in fields where !(0...RunUsage.maxFieldValue).contains(value) {
            let problem = value < 0 ? "below 0" : "over the cap of \(RunUsage.maxFieldValue) per record"
            throw LedgerError(
                .invalidArgument,
                "the usage's \(name) is \(value), \(problem) (RunUsage.maxFieldValue); \(consequence)"
            )
        }
    }

    /// A search query has a word in it: FTS5 answers an empty or blank one with an internal
    /// "syntax error near \")\"" that says nothing to the person who typed it.
    static func checkSearchQuery(_ query: String) throws(LedgerError) {
        if query.allSatisfy(\.isWhitespace) {
            throw LedgerError(.invalidArgument, "the search query is empty")
        }
    }
}
