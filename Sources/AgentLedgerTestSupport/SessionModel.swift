public import AgentLedger

/// A small in-memory model of one session as SEMANTICS.md describes it (the protocol, turns,
/// branches and usage), written apart from the ledger's code, so that property tests can run
/// the same operations on both and compare every read after every step.
///
/// Each mutation returns whether the ledger must write an event for it (so a test can also check
/// the head sequence), and throws a ``LedgerError`` with the code the ledger must throw. Compare
/// codes only: the messages are the model's own.
///
/// ```swift
/// var model = SessionModel()
/// let session = ledger.session("s")
/// try await session.addItems(items)
/// _ = try model.add(items)
/// let expected = model.snapshot()
/// let actual = try await SessionModel.Snapshot.capture(session)
/// #expect(actual.differences(from: expected) == [])
/// ```
///
/// Where SEMANTICS.md does not order two checks, the model checks in the writer's order:
/// `createBranch` checks the turn before the name; `deleteBranch` checks a blank name, then
/// `main`, then existence, then the current branch.
public struct SessionModel: Sendable {
    /// An item's type and tool name, as ``LedgerSession/conversationByTurns(branch:asOf:)`` shows them.
    public struct ItemKind: Sendable, Hashable, CustomStringConvertible {
        /// `user` / `assistant` by role, else the `type` member, else `other`.
        public var type: String
        /// The tool the item calls or answers, if any.
        public var toolName: String?

        /// Creates a kind.
        public init(type: String, toolName: String?) {
            self.type = type
            self.toolName = toolName
        }

        /// `type` or `type/tool`.
        public var description: String {
            toolName.map { "\(type)/\($0)" } ?? type
        }
    }

    /// One branch as ``LedgerSession/listBranches(asOf:)`` lists it, without times and sequences.
    public struct Branch: Sendable, Hashable {
        /// The branch name.
        public var name: String
        /// Live items on the branch.
        public var itemCount: Int
        /// Live user items on the branch.
        public var userTurnCount: Int
        /// Whether it is the current branch.
        public var isCurrent: Bool
        /// The branch it was created from (`nil` for `main`).
        public var parent: String?
        /// The user turn it was created from (`nil` for `main`).
        public var fromTurn: Int?

        /// Creates a branch entry.
        public init(name: String, itemCount: Int, userTurnCount: Int, isCurrent: Bool, parent: String?, fromTurn: Int?)
        {
            self.name = name
            self.itemCount = itemCount
            self.userTurnCount = userTurnCount
            self.isCurrent = isCurrent
            self.parent = parent
            self.fromTurn = fromTurn
        }
    }

    /// One user turn as ``LedgerSession/conversationTurns(branch:asOf:)`` lists it, without its time.
    public struct Turn: Sendable, Hashable {
        /// The turn number.
        public var turn: Int
        /// The content cut to 100 code points plus "...".
        public var preview: String
        /// The full content.
        public var content: String

        /// Creates a turn entry.
        public init(turn: Int, preview: String, content: String) {
            self.turn = turn
            self.preview = preview
            self.content = content
        }
    }

    /// One turn's items as ``LedgerSession/conversationByTurns(branch:asOf:)`` lists them.
    public struct TurnGroup: Sendable, Hashable {
        /// The turn number (0 before the first user item).
        public var turn: Int
        /// Its items' kinds, in order.
        public var items: [ItemKind]

        /// Creates a group.
        public init(turn: Int, items: [ItemKind]) {
            self.turn = turn
            self.items = items
        }
    }

    /// Usage totals as ``LedgerSession/sessionUsage(branch:asOf:)`` returns them.
    public struct Usage: Sendable, Hashable {
        /// Summed requests.
        public var requests: Int
        /// Summed input tokens.
        public var inputTokens: Int
        /// Summed output tokens.
        public var outputTokens: Int
        /// Summed total tokens.
        public var totalTokens: Int
        /// Turns with usage.
        public var turnCount: Int

        /// Creates totals.
        public init(requests: Int, inputTokens: Int, outputTokens: Int, totalTokens: Int, turnCount: Int) {
            self.requests = requests
            self.inputTokens = inputTokens
            self.outputTokens = outputTokens
            self.totalTokens = totalTokens
            self.turnCount = turnCount
        }
    }

    /// Every read of one branch (or of the current branch).
    public struct BranchReads: Sendable, Hashable {
        /// `items(branch:)`.
        public var items: [SessionItem]
        /// `conversationTurns(branch:)`.
        public var turns: [Turn]
        /// `conversationByTurns(branch:)`.
        public var turnGroups: [TurnGroup]
        /// `toolUsage(branch:)`.
        public var tools: [ToolUse]
        /// `sessionUsage(branch:)` for this branch.
        public var usage: Usage?
        /// `turnUsage(nil, branch:)`: the turns with usage, in order.
        public var usageTurns: [Int]
        /// `turnUsage(nil, branch:)`: their usage, in the same order.
        public var turnUsage: [RunUsage]

        /// Creates the reads of a branch.
        public init(
            items: [SessionItem],
            turns: [Turn],
            turnGroups: [TurnGroup],
            tools: [ToolUse],
            usage: Usage?,
            usageTurns: [Int],
            turnUsage: [RunUsage]
        ) {
            self.items = items
            self.turns = turns
            self.turnGroups = turnGroups
            self.tools = tools
            self.usage = usage
            self.usageTurns = usageTurns
            self.turnUsage = turnUsage
        }
    }

    /// Everything a session answers at one moment: from the ledger (``capture(_:asOf:extraBranches:findTerms:)``)
    /// or from the model (``SessionModel/snapshot(extraBranches:findTerms:)``).
    public struct Snapshot: Sendable, Hashable {
        /// `currentBranch()`.
        public var currentBranch: String
        /// `listBranches()`.
        public var branches: [Branch]
        /// The reads with `branch: nil` (the current branch).
        public var current: BranchReads
        /// The reads of every listed branch and of the extra names asked for, by name.
        public var byBranch: [String: BranchReads]
        /// `sessionUsage()` across every branch.
        public var sessionUsage: Usage?
        /// `findTurns(containing:)` on the current branch, by term.
        public var found: [String: [Turn]]

        /// Creates a snapshot.
        public init(
            currentBranch: String,
            branches: [Branch],
            current: BranchReads,
            byBranch: [String: BranchReads],
            sessionUsage: Usage?,
            found: [String: [Turn]]
        ) {
            self.currentBranch = currentBranch
            self.branches = branches
            self.current = current
            self.byBranch = byBranch
            self.sessionUsage = sessionUsage
            self.found = found
        }

        /// Reads everything from `session` (as of `asOf`): every branch it lists, plus
        /// `extraBranches` (deleted or unknown names read as empty), and `findTurns` of each term.
        public static func capture(
            _ session: LedgerSession,
            asOf: AsOf? = nil,
            extraBranches: [String] = [],
            findTerms: [String] = []
        ) async throws -> Snapshot {
            let listed = try await session.listBranches(asOf: asOf)
            let branches = listed.map {
                Branch(
                    name: $0.name,
                    itemCount: $0.itemCount,
                    userTurnCount: $0.userTurnCount,
                    isCurrent: $0.isCurrent,
                    parent: $0.parent,
                    fromTurn: $0.fromTurn
                )
            }
            var byBranch: [String: BranchReads] = [:]
            for name in listed.map(\.name) + extraBranches where byBranch[name] == nil {
                byBranch[name] = try await reads(session, branch: name, asOf: asOf)
            }
            var found: [String: [Turn]] = [:]
            for term in findTerms {
                found[term] = try await session.findTurns(containing: term, asOf: asOf).map(turn)
            }
            return Snapshot(
                currentBranch: try await session.currentBranch(asOf: asOf),
                branches: branches,
                current: try await reads(session, branch: nil, asOf: asOf),
                byBranch: byBranch,
                sessionUsage: try await session.sessionUsage(asOf: asOf).map(usage),
                found: found
            )
        }

        private static func reads(_ session: LedgerSession, branch: String?, asOf: AsOf?) async throws -> BranchReads {
            let turnUsage = try await session.turnUsage(nil, branch: branch, asOf: asOf)
            return BranchReads(
                items: try await session.items(limit: nil, branch: branch, asOf: asOf),
                turns: try await session.conversationTurns(branch: branch, asOf: asOf).map(turn),
                turnGroups: try await session.conversationByTurns(branch: branch, asOf: asOf).map { group in
                    TurnGroup(
                        turn: group.turn,
                        items: group.items.map { ItemKind(type: $0.type, toolName: $0.toolName) }
                    )
                },
                tools: try await session.toolUsage(branch: branch, asOf: asOf),
                usage: branch == nil ? nil : try await session.sessionUsage(branch: branch, asOf: asOf).map(usage),
                usageTurns: turnUsage.map(\.turn),
                turnUsage: turnUsage.map(\.usage)
            )
        }

        private static func turn(_ turn: ConversationTurn) -> Turn {
            Turn(turn: turn.turn, preview: turn.preview, content: turn.content)
        }

        private static func usage(_ totals: UsageTotals) -> Usage {
            Usage(
                requests: totals.requests,
                inputTokens: totals.inputTokens,
                outputTokens: totals.outputTokens,
                totalTokens: totals.totalTokens,
                turnCount: totals.turnCount
            )
        }

        /// One line per read that differs between `self` (usually the ledger's answer) and
        /// `expected`; empty when they agree.
        public func differences(from expected: Snapshot) -> [String] {
            var lines: [String] = []
            func compare<T: Equatable>(_ label: String, _ actual: T, _ wanted: T) {
                if actual != wanted {
                    lines.append("\(label): got \(actual), expected \(wanted)")
                }
            }
            compare("currentBranch", currentBranch, expected.currentBranch)
            compare("listBranches", branches, expected.branches)
            compare("sessionUsage", sessionUsage, expected.sessionUsage)
            Self.compare(current, expected.current, label: "current branch", into: &lines)
            compare("branches read", byBranch.keys.sorted(), expected.byBranch.keys.sorted())
            for name in byBranch.keys.sorted() {
                if let actual = byBranch[name], let wanted = expected.byBranch[name] {
                    Self.compare(actual, wanted, label: "branch '\(name)'", into: &lines)
                }
            }
            for term in Set(found.keys).union(expected.found.keys).sorted() {
                compare("findTurns(\"\(term)\")", found[term], expected.found[term])
            }
            return lines
        }

        private static func compare(
            _ actual: BranchReads,
            _ wanted: BranchReads,
            label: String,
            into lines: inout [String]
        ) {
            func check<T: Equatable>(_ read: String, _ got: T, _ expected: T) {
                if got != expected {
                    lines.append("\(label) \(read): got \(got), expected \(expected)")
                }
            }
            check("items", actual.items, wanted.items)
            check("conversationTurns", actual.turns, wanted.turns)
            check("conversationByTurns", actual.turnGroups, wanted.turnGroups)
            check("toolUsage", actual.tools, wanted.tools)
            check("sessionUsage(branch:)", actual.usage, wanted.usage)
            check("turnUsage turns", actual.usageTurns, wanted.usageTurns)
            check("turnUsage", actual.turnUsage, wanted.turnUsage)
        }
    }

    /// One item on a branch with what the rules derive from it.
    private struct Entry: Sendable {
        var item: SessionItem
        var turn: Int
        var kind: ItemKind
        var isUser: Bool
        var isToolCall: Bool
        var isToolSearchOutput: Bool
        var userContent: String?
    }

    /// A branch, live or deleted (a deleted one keeps its name reserved).
    private struct BranchState: Sendable {
        var name: String
        var parent: String?
        var fromTurn: Int?
        var entries: [Entry] = []
        var usage: [Int: RunUsage] = [:]
        var isDeleted = false

        var userCount: Int {
            entries.count { $0.isUser }
        }
    }

    /// The largest item the ledger accepts (`LedgerOptions.maxItemBytes`).
    public let maxItemBytes: Int
    /// Whether the session exists: something was added once (a clear keeps it).
    public private(set) var exists = false
    /// The current branch (`main` before the session exists).
    public private(set) var currentBranch = "main"
    private var branchStates: [BranchState] = []

    /// A session that does not exist yet, in a store with the given item size limit.
    public init(maxItemBytes: Int = 16 << 20) {
        self.maxItemBytes = maxItemBytes
    }

    /// Every branch name used in the session, in creation order (deleted ones too).
    public var usedBranchNames: [String] {
        branchStates.map(\.name)
    }

    /// The live branch names, in creation order.
    public var liveBranchNames: [String] {
        branchStates.filter { !$0.isDeleted }.map(\.name)
    }

    private func index(of name: String) -> Int? {
        branchStates.firstIndex { $0.name == name }
    }

    private func liveIndex(of name: String) -> Int? {
        branchStates.firstIndex { $0.name == name && !$0.isDeleted }
    }

    private var currentIndex: Int? {
        liveIndex(of: currentBranch)
    }

    // MARK: - Mutations

    /// `addItems`: appends to the current branch. Returns whether an event is written (not for `[]`).
    ///
    /// - Throws: `invalidItem` when an item is larger than ``maxItemBytes`` (nothing is added).
    public mutating func add(_ items: [SessionItem]) throws -> Bool {
        for (index, item) in items.enumerated() where item.jsonBytes.count > maxItemBytes {
            throw LedgerError(.invalidItem, "model: item \(index) is over \(maxItemBytes) bytes")
        }
        if items.isEmpty {
            return false
        }
        if !exists {
            exists = true
            branchStates = [BranchState(name: "main")]
        }
        let branch = currentIndex!
        var turn = branchStates[branch].userCount
        for item in items {
            let entry = Self.entry(for: item, turnBefore: turn)
            turn = entry.turn
            branchStates[branch].entries.append(entry)
        }
        return true
    }

    /// `popItem`: removes the newest item of the current branch; a turn left without items
    /// loses its usage. Returns the item, `nil` (and no event) when the branch is empty.
    public mutating func pop() -> SessionItem? {
        guard let branch = currentIndex, let entry = branchStates[branch].entries.popLast() else {
            return nil
        }
        if !branchStates[branch].entries.contains(where: { $0.turn == entry.turn }) {
            branchStates[branch].usage[entry.turn] = nil
        }
        return entry.item
    }

    /// `clearSession`: every item and all usage go, branches other than `main` are deleted
    /// (their names stay reserved), `main` becomes current. Returns whether an event is written
    /// (not for a session that does not exist).
    public mutating func clear() -> Bool {
        guard exists else {
            return false
        }
        for index in branchStates.indices {
            branchStates[index].entries = []
            branchStates[index].usage = [:]
            if branchStates[index].name != "main" {
                branchStates[index].isDeleted = true
            }
        }
        currentBranch = "main"
        return true
    }

    /// `createBranch(fromTurn:named:)`: the new branch holds the current branch's items of the
    /// turns before `turn` and becomes current. Always writes an event when it does not throw.
    ///
    /// - Parameter unixSeconds: the event time, for a generated name.
    /// - Returns: the branch name.
    /// - Throws: `notFound` when the current branch has no user item at `turn`; `invalidArgument`
    ///   for a blank, too long or NUL-holding name; `conflict` for a name used before.
    public mutating func createBranch(fromTurn turn: Int, named name: String?, unixSeconds: Int64) throws -> String {
        let source = currentIndex
        guard let source, branchStates[source].entries.contains(where: { $0.isUser && $0.turn == turn }) else {
            throw LedgerError(.notFound, "model: no user turn \(turn) on '\(currentBranch)'")
        }
        let newName: String
        if let name {
            try Self.checkBranchName(name)
            if name == "main" || index(of: name) != nil {
                throw LedgerError(.conflict, "model: branch name '\(name)' was used before")
            }
            newName = name
        } else {
            let base = "branch_from_turn_\(turn)_\(unixSeconds)"
            var candidate = base
            var suffix = 2
            while candidate == "main" || index(of: candidate) != nil {
                candidate = "\(base)_\(suffix)"
                suffix += 1
            }
            newName = candidate
        }
        var branch = BranchState(name: newName, parent: currentBranch, fromTurn: turn)
        branch.entries = branchStates[source].entries.filter { $0.turn < turn }
        branchStates.append(branch)
        currentBranch = newName
        return newName
    }

    /// `createBranch(fromTurnContaining:named:)`: from the earliest user turn of the current
    /// branch whose content contains `text` (literal, case-insensitive; `""` matches any).
    ///
    /// - Throws: `notFound` when no user turn matches, else as ``createBranch(fromTurn:named:unixSeconds:)``.
    public mutating func createBranch(
        fromTurnContaining text: String,
        named name: String?,
        unixSeconds: Int64
    ) throws
        -> String
    {
        let entries = currentIndex.map { branchStates[$0].entries } ?? []
        guard let match = entries.first(where: { Self.contains($0.userContent, text) }) else {
            throw LedgerError(.notFound, "model: no user turn contains '\(text)'")
        }
        return try createBranch(fromTurn: match.turn, named: name, unixSeconds: unixSeconds)
    }

    /// `switchToBranch`: returns whether an event is written (not when `name` is already current).
    ///
    /// - Throws: `invalidArgument` for a blank name; `notFound` for an unknown or deleted branch.
    public mutating func switchToBranch(_ name: String) throws -> Bool {
        try Self.checkBranchName(name)
        guard name == "main" || liveIndex(of: name) != nil else {
            throw LedgerError(.notFound, "model: no branch '\(name)'")
        }
        if name == currentBranch {
            return false
        }
        currentBranch = name
        return true
    }

    /// `deleteBranch`: the branch's items and usage go, its name stays reserved; deleting the
    /// current branch (with `force`) makes `main` current. Always writes an event when it does
    /// not throw.
    ///
    /// - Throws: `invalidArgument` for a blank name; `conflict` for `main` or for the current
    ///   branch without `force`; `notFound` for an unknown or deleted branch.
    public mutating func deleteBranch(_ name: String, force: Bool) throws {
        try Self.checkBranchName(name)
        if name == "main" {
            throw LedgerError(.conflict, "model: main cannot be deleted")
        }
        guard let index = liveIndex(of: name) else {
            throw LedgerError(.notFound, "model: no branch '\(name)'")
        }
        if name == currentBranch && !force {
            throw LedgerError(.conflict, "model: '\(name)' is current")
        }
        branchStates[index].isDeleted = true
        branchStates[index].entries = []
        branchStates[index].usage = [:]
        if name == currentBranch {
            currentBranch = "main"
        }
    }

    /// `recordUsage` (and `storeRunUsage`, which logs instead of throwing): records `usage` for
    /// the latest user turn of the current branch, replacing earlier usage of that turn. Returns
    /// whether an event is written (not when the branch has no user turn).
    ///
    /// - Throws: `invalidArgument` when `usage.detailsJSON` is not JSON (nothing is recorded).
    public mutating func recordUsage(_ usage: RunUsage) throws -> Bool {
        if let details = usage.detailsJSON {
            do {
                _ = try JSONValue(parsing: details)
            } catch {
                throw LedgerError(.invalidArgument, "model: usage details are not JSON")
            }
        }
        guard let branch = currentIndex else {
            return false
        }
        let turn = branchStates[branch].userCount
        guard turn > 0 else {
            return false
        }
        branchStates[branch].usage[turn] = usage
        return true
    }

    // MARK: - Reads

    private func entries(_ branch: String?) -> [Entry] {
        guard let index = liveIndex(of: branch ?? currentBranch) else {
            return []
        }
        return branchStates[index].entries
    }

    private func usage(_ branch: String?) -> [Int: RunUsage] {
        guard let index = liveIndex(of: branch ?? currentBranch) else {
            return [:]
        }
        return branchStates[index].usage
    }

    /// `items(limit:branch:)` (`limit` as the ledger takes it, after the session default).
    ///
    /// - Throws: `invalidArgument` for a negative limit.
    public func items(limit: Int? = nil, branch: String? = nil) throws -> [SessionItem] {
        if let limit, limit < 0 {
            throw LedgerError(.invalidArgument, "model: negative limit")
        }
        let items = entries(branch).map(\.item)
        guard let limit else {
            return items
        }
        return Array(items.suffix(limit))
    }

    /// `listBranches()`: the live branches in creation order (none before the session exists).
    public var branches: [Branch] {
        branchStates.filter { !$0.isDeleted }.map { state in
            Branch(
                name: state.name,
                itemCount: state.entries.count,
                userTurnCount: state.userCount,
                isCurrent: state.name == currentBranch,
                parent: state.parent,
                fromTurn: state.fromTurn
            )
        }
    }

    /// `conversationTurns(branch:)`.
    public func turns(branch: String? = nil) -> [Turn] {
        entries(branch).compactMap { entry in
            entry.userContent.map { Turn(turn: entry.turn, preview: Self.preview($0), content: $0) }
        }
    }

    /// `findTurns(containing:branch:)`.
    public func findTurns(containing term: String, branch: String? = nil) -> [Turn] {
        entries(branch).compactMap { entry in
            guard let content = entry.userContent, Self.contains(content, term) else {
                return nil
            }
            return Turn(turn: entry.turn, preview: Self.preview(content), content: content)
        }
    }

    /// `conversationByTurns(branch:)`.
    public func turnGroups(branch: String? = nil) -> [TurnGroup] {
        var groups: [TurnGroup] = []
        for entry in entries(branch) {
            if groups.last?.turn == entry.turn {
                groups[groups.count - 1].items.append(entry.kind)
            } else {
                groups.append(TurnGroup(turn: entry.turn, items: [entry.kind]))
            }
        }
        return groups
    }

    /// `toolUsage(branch:)`: calls per tool and turn, by turn, then by the tool's first call;
    /// calls without a tool name count together under `nil`.
    public func toolUsage(branch: String? = nil) -> [ToolUse] {
        let entries = entries(branch)
        var result: [ToolUse] = []
        for turn in Array(Set(entries.map(\.turn))).sorted() {
            let inTurn = entries.filter { $0.turn == turn }
            let hasToolSearchCall = inTurn.contains { $0.isToolCall && $0.kind.type == "tool_search_call" }
            var order: [String?] = []
            var counts: [String?: Int] = [:]
            for entry in inTurn {
                guard entry.isToolCall || (entry.isToolSearchOutput && !hasToolSearchCall) else {
                    continue
                }
                let tool = entry.kind.toolName
                if counts[tool] == nil {
                    order.append(tool)
                }
                counts[tool, default: 0] += 1
            }
            result += order.map { ToolUse(toolName: $0, callCount: counts[$0]!, turn: turn) }
        }
        return result
    }

    /// `sessionUsage(branch:)`: across every live branch when `branch` is `nil`; `nil` when none.
    public func sessionUsage(branch: String? = nil) -> Usage? {
        let records: [RunUsage]
        if let branch {
            records = Array(usage(branch).values)
        } else {
            records = branchStates.filter { !$0.isDeleted }.flatMap { $0.usage.values }
        }
        guard !records.isEmpty else {
            return nil
        }
        return Usage(
            requests: records.reduce(0) { $0 + $1.requests },
            inputTokens: records.reduce(0) { $0 + $1.inputTokens },
            outputTokens: records.reduce(0) { $0 + $1.outputTokens },
            totalTokens: records.reduce(0) { $0 + $1.totalTokens },
            turnCount: records.count
        )
    }

    /// `turnUsage(nil, branch:)`: every turn with usage, in turn order.
    public func turnUsage(branch: String? = nil) -> [(turn: Int, usage: RunUsage)] {
        usage(branch).sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// Everything the session answers now, in the shape of ``Snapshot/capture(_:asOf:extraBranches:findTerms:)``.
    public func snapshot(extraBranches: [String] = [], findTerms: [String] = []) -> Snapshot {
        var byBranch: [String: BranchReads] = [:]
        for name in liveBranchNames + extraBranches where byBranch[name] == nil {
            byBranch[name] = reads(branch: name)
        }
        var found: [String: [Turn]] = [:]
        for term in findTerms {
            found[term] = findTurns(containing: term)
        }
        return Snapshot(
            currentBranch: currentBranch,
            branches: branches,
            current: reads(branch: nil),
            byBranch: byBranch,
            sessionUsage: sessionUsage(),
            found: found
        )
    }

    private func reads(branch: String?) -> BranchReads {
        let turnUsage = turnUsage(branch: branch)
        return BranchReads(
            items: entries(branch).map(\.item),
            turns: turns(branch: branch),
            turnGroups: turnGroups(branch: branch),
            tools: toolUsage(branch: branch),
            usage: branch.flatMap { sessionUsage(branch: $0) },
            usageTurns: turnUsage.map(\.turn),
            turnUsage: turnUsage.map(\.usage)
        )
    }

    // MARK: - The rules

    /// The item types that ``LedgerSession/toolUsage(branch:asOf:)`` counts as calls.
    public static let toolCallTypes: Set<String> = [
        "function_call", "computer_call", "file_search_call", "web_search_call", "code_interpreter_call",
        "tool_search_call", "custom_tool_call", "mcp_call", "mcp_approval_request", "shell_call", "apply_patch_call",
    ]

    /// Item types whose tool name is the type itself.
    private static let selfNamedTypes: Set<String> = [
        "computer_call", "file_search_call", "web_search_call", "code_interpreter_call", "shell_call",
        "apply_patch_call",
    ]

    /// The item's type and tool name by SEMANTICS.md's rules.
    public static func kind(of item: SessionItem) -> ItemKind {
        let value = item.value
        let role = value["role"]?.stringValue
        let type = value["type"]?.stringValue
        let itemType: String
        if role == "user" || role == "assistant" {
            itemType = role!
        } else if let type, !type.isEmpty {
            itemType = type
        } else {
            itemType = "other"
        }
        return ItemKind(type: itemType, toolName: toolName(value, type: type))
    }

    private static func toolName(_ value: JSONValue, type: String?) -> String? {
        let name = value["name"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        switch type {
        case "mcp_call" where value["server_label"]?.stringValue != nil,
            "mcp_approval_request" where value["server_label"]?.stringValue != nil:
            let label = value["server_label"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
            let parts = [label, name].compactMap { $0 }
            return parts.isEmpty ? nil : parts.joined(separator: ".")
        case let type? where selfNamedTypes.contains(type):
            return type
        case "tool_search_call", "tool_search_output":
            return "tool_search"
        default:
            guard let name else {
                return nil
            }
            if let namespace = value["namespace"]?.stringValue, !namespace.isEmpty, namespace != name {
                return namespace + "." + name
            }
            return name
        }
    }

    private static func entry(for item: SessionItem, turnBefore: Int) -> Entry {
        let value = item.value
        let role = value["role"]?.stringValue
        let isUser = role == "user"
        let kind = kind(of: item)
        // The call rules read the `type` member only when the role is neither user nor assistant.
        let type = role == "user" || role == "assistant" ? nil : value["type"]?.stringValue
        var userContent: String?
        if isUser {
            // The generators give user items string content; other content is JSON-encoded by
            // the ledger, which this model does not reproduce.
            userContent = value["content"]?.stringValue ?? ""
        }
        return Entry(
            item: item,
            turn: isUser ? turnBefore + 1 : turnBefore,
            kind: kind,
            isUser: isUser,
            isToolCall: type.map { toolCallTypes.contains($0) } ?? false,
            isToolSearchOutput: type == "tool_search_output",
            userContent: userContent
        )
    }

    private static func checkBranchName(_ name: String) throws {
        if name.allSatisfy(\.isWhitespace) || name.utf8.count > 256 || name.utf8.contains(0) {
            throw LedgerError(.invalidArgument, "model: invalid branch name '\(name)'")
        }
    }

    /// A literal, case-insensitive substring match; an empty term matches every user item.
    private static func contains(_ content: String?, _ term: String) -> Bool {
        guard let content else {
            return false
        }
        // By characters, as the ledger matches: never part of an emoji sequence or a flag.
        return term.isEmpty || content.uppercased().lowercased().firstRange(of: term.uppercased().lowercased()) != nil
    }

    /// The first 100 code points and "...", when longer.
    private static func preview(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard scalars.count > 100 else {
            return text
        }
        var kept = String.UnicodeScalarView()
        kept.append(contentsOf: scalars.prefix(100))
        return String(kept) + "..."
    }
}
