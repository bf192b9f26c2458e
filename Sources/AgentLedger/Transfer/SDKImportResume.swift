/// How an SDK import asked to resume (``Ledger/importSDKSQLite(at:sessionsTable:messagesTable:skippingInvalid:appending:resuming:progress:)``)
/// treats a session this store already holds. An import that stopped (a crash, an interrupt,
/// a full disk) wrote whole group commits, so a session it left in part holds what the first
/// commands of its plan (``SDKImportPlan``) make of a new session: the plan is replayed here on
/// a model of the session, and the import goes on after the last command whose state is what
/// the store holds.
enum SDKImportResume {
    /// The state of a session in this store that a resume compares with the plan.
    struct Held {
        /// Its branches, in creation order, and which one is current.
        var branches: [BranchInfo]
        /// The items of each branch, by the bytes of its name (as the store compares names).
        var items: [[UInt8]: [SessionItem]]
    }

    /// A session as the plan's commands shape it, from a new session (`main`, empty, current).
    private struct Model {
        var items: [[UInt8]: [SessionItem]] = [Array("main".utf8): []]
        var current = Array("main".utf8)

        mutating func apply(_ command: WriteCommand) {
            switch command {
            case .addItems(_, let added):
                items[current, default: []] += added
            case .popItem:
                if items[current]?.isEmpty == false {
                    items[current]?.removeLast()
                }
            case .createBranch(_, .turn(let turn), let name?):
                let source = items[current] ?? []
                let users = source.indices.filter { source[$0].classification.isUser }
                let end = turn >= 1 && turn <= users.count ? users[turn - 1] : source.count
                current = Array(name.utf8)
                items[current] = Array(source[..<end])
            case .switchBranch(_, let name):
                current = Array(name.utf8)
            default:
                // The plan writes no other command.
                break
            }
        }

        func isHeld(_ held: Held) -> Bool {
            guard held.items.count == items.count,
                let heldCurrent = held.branches.first(where: \.isCurrent), Array(heldCurrent.name.utf8) == current
            else {
                return false
            }
            return items.allSatisfy { name, branchItems in held.items[name] == branchItems }
        }
    }

    /// How many of `commands`, the plan of `session`, this store has done, as `held` shows:
    /// all of them when the session is here as the import writes it; throws `conflict`, naming
    /// the session and the first difference from the whole import, when no prefix of the plan
    /// gives what is held.
    static func commandsDone(
        _ commands: [WriteCommand],
        of session: String,
        held: Held
    ) throws(LedgerError) -> Int {
        var model = Model()
        var done: Int? = model.isHeld(held) ? 0 : nil
        for (index, command) in commands.enumerated() {
            model.apply(command)
            // Two prefixes with the same state lead to the same end: the later one writes less.
            if model.isHeld(held) {
                done = index + 1
            }
        }
        guard let done else {
            throw LedgerError(
                .conflict,
                "session '\(session)' already exists in this store and is not what an interrupted import of this "
                    + "file leaves (\(difference(model, held: held))): resuming would not reproduce the file, so "
                    + "nothing was imported"
            )
        }
        return done
    }

    /// The first difference between what the whole import makes of the session and `held`.
    private static func difference(_ model: Model, held: Held) -> String {
        func name(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
        if let extra = held.branches.first(where: { model.items[Array($0.name.utf8)] == nil }) {
            return "it has a branch '\(extra.name)' that the file does not"
        }
        for (branch, items) in model.items.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            guard let heldItems = held.items[branch] else {
                return "it lacks the file's branch '\(name(branch))'"
            }
            if heldItems != items {
                let shared = zip(heldItems, items).prefix { $0 == $1 }.count
                return "branch '\(name(branch))' holds \(heldItems.count) items, the file \(items.count), "
                    + "the same first \(shared)"
            }
        }
        let current = held.branches.first(where: \.isCurrent)?.name ?? "main"
        return "its current branch is '\(current)', not '\(name(model.current))'"
    }
}
