/// How an SDK import asked to resume (``Ledger/importSDKSQLite(at:sessionsTable:messagesTable:skippingInvalid:appending:resuming:progress:)``)
/// treats a session this store already holds: an import that stopped (a crash, an interrupt, a
/// full disk) wrote whole sessions, in the file's order, and at most one in part. A group
/// commit ends before a session's first command whenever its bounds allow, so a session is
/// left in part only when its commands fill more than one group commit: then its first adds
/// are here.
enum SDKImportResume {
    /// What to do with a session of the file that this store already holds.
    enum Point: Equatable {
        /// It is here as the import writes it: every branch with the file's items, `main`
        /// current. Nothing to write.
        case whole
        /// It has only `main` here, current, holding the first `count` of the items the file
        /// has on `main`: the import stopped in those adds. The rest of the session's commands
        /// follow (``remaining(_:after:)``).
        case mainFrom(count: Int)
    }

    /// The state of a session in this store that a resume compares with the file.
    struct Held {
        /// Its branches, in creation order, and which one is current.
        var branches: [BranchInfo]
        /// The items of each branch, by the bytes of its name (as the store compares names).
        var items: [[UInt8]: [SessionItem]]
    }

    /// Where to resume `session`, which the import's plan writes as `planned` (the branches it
    /// imports, `main` first, each with its items), from `held`, what this store holds of it.
    /// Throws `conflict`, naming the session and the difference, when `held` is not what an
    /// import of this file leaves.
    static func point(
        of session: String,
        planned: [(name: String, items: [SessionItem])],
        held: Held
    ) throws(LedgerError) -> Point {
        let heldNames = held.branches.map(\.name)
        let plannedNames = planned.map(\.name)
        let sameBranches =
            heldNames.count == plannedNames.count
            && zip(heldNames.sorted(by: utf8Order), plannedNames.sorted(by: utf8Order)).allSatisfy {
                $0.isSameName(as: $1)
            }
        let main = planned.first?.name ?? "main"
        let mainIsCurrent = held.branches.first { $0.isCurrent }.map { $0.name.isSameName(as: main) } ?? true
        if sameBranches, mainIsCurrent,
            planned.allSatisfy({ branch in held.items[Array(branch.name.utf8)] == branch.items })
        {
            return .whole
        }
        if heldNames.count == 1, heldNames[0].isSameName(as: main), mainIsCurrent,
            let fileItems = planned.first?.items, let heldItems = held.items[Array(main.utf8)],
            heldItems.count <= fileItems.count, fileItems.starts(with: heldItems)
        {
            return .mainFrom(count: heldItems.count)
        }
        throw LedgerError(
            .conflict,
            "session '\(session)' already exists in this store and is not what an interrupted import of this file "
                + "leaves (\(difference(planned: planned, held: held))): resuming would not reproduce the file, so "
                + "nothing was imported"
        )
    }

    /// The first difference between `planned` and `held`, for the message.
    private static func difference(planned: [(name: String, items: [SessionItem])], held: Held) -> String {
        let heldNames = held.branches.map(\.name)
        if let missing = heldNames.first(where: { name in !planned.contains { $0.name.isSameName(as: name) } }) {
            return "it has a branch '\(missing)' that the file does not"
        }
        let main = planned.first?.name ?? "main"
        if let current = held.branches.first(where: \.isCurrent), !current.name.isSameName(as: main) {
            return "its current branch is '\(current.name)', not \(main)"
        }
        for branch in planned {
            guard let items = held.items[Array(branch.name.utf8)] else {
                return "it lacks the file's branch '\(branch.name)'"
            }
            if items != branch.items {
                let shared = zip(items, branch.items).prefix { $0 == $1 }.count
                return "branch '\(branch.name)' holds \(items.count) items, the file \(branch.items.count), "
                    + "the same first \(shared)"
            }
        }
        return "it has other branches than main while the file has some of its own"
    }

    /// The commands of `commands`, a session's plan (``SDKImportPlan``), that remain after
    /// its first `count` items on `main`: the plan adds `main`'s items first, in order.
    static func remaining(_ commands: [WriteCommand], after count: Int) -> [WriteCommand] {
        var left = count
        var remaining: [WriteCommand] = []
        for command in commands {
            guard left > 0, case .addItems(let session, let items) = command else {
                remaining.append(command)
                continue
            }
            if items.count <= left {
                left -= items.count
            } else {
                remaining.append(.addItems(session: session, items: Array(items[left...])))
                left = 0
            }
        }
        return remaining
    }

    /// Orders names by their bytes, as the store compares them.
    private static func utf8Order(_ left: String, _ right: String) -> Bool {
        left.utf8.lexicographicallyPrecedes(right.utf8)
    }
}

extension SDKDatabase.Session {
    /// The branches that `commands`, this session's plan (``SDKImportPlan``), imports, with the
    /// items the file has on each: the first branch (`main`) and every branch it creates.
    func imported(by commands: [WriteCommand]) -> [(name: String, items: [SessionItem])] {
        let created = commands.compactMap { command -> String? in
            if case .createBranch(_, _, let name?) = command {
                return name
            }
            return nil
        }
        return branches.enumerated().compactMap { index, branch in
            index == 0 || created.contains(where: { $0.isSameName(as: branch.name) })
                ? (branch.name, branch.items) : nil
        }
    }
}
