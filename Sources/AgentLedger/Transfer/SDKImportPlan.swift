/// The write commands that reproduce one SDK session, branches included.
///
/// The SDK's `create_branch_from_turn(N)` gives the new branch the rows of the turns before N
/// of the branch it was on, the same message rows, then the branch's own. So each branch after
/// `main` is created here from the turn of an already imported branch whose items it starts
/// with, the longest such prefix, and gets the rest of its items added. A branch that starts
/// with no imported branch's turns (its parent was deleted or popped since) is created from
/// turn 1 of a branch that has one, emptied by pops, and filled: its items come out exact
/// either way.
enum SDKImportPlan {
    /// The most items per add command.
    static let itemsPerAdd = 1000

    /// An imported branch, as the plan matches later branches against it.
    private struct Imported {
        var name: String
        var messageIDs: [Int64]
        /// The position of each user item: turn `k` starts at `userStarts[k - 1]`.
        var userStarts: [Int]

        init(_ branch: SDKDatabase.Branch) {
            name = branch.name
            messageIDs = branch.messageIDs
            userStarts = branch.items.indices.filter { branch.items[$0].classification.isUser }
        }
    }

    /// The commands for `session`. `currentBranch` is the session's current branch in this
    /// store when it exists here (an import appending to it, which only a session without other
    /// branches may do): `main` gets the items, and that branch is current again afterwards.
    /// Adds to `messages` the SDK message ids of the branches it imports, and to `skipped` why
    /// it leaves a branch out; gives in `addedMessages`, by command index, the message ids of
    /// each add command's items (a resumed import counts the messages it still writes with
    /// them: ``SDKImportResume``). An add command carries at most ``itemsPerAdd`` items and,
    /// unless one item is larger, `maxBytesPerAdd` bytes of item JSON, so that it fits in a
    /// frame.
    static func commands(
        for session: SDKDatabase.Session,
        currentBranch: String? = nil,
        maxBytesPerAdd: Int,
        messages: inout Set<Int64>,
        skipped: inout [String],
        addedMessages: inout [Int: ArraySlice<Int64>]
    ) -> [WriteCommand] {
        let id = session.id
        var commands: [WriteCommand] = []
        var ids: [Int: ArraySlice<Int64>] = [:]
        func add(_ branch: SDKDatabase.Branch, from first: Int) {
            let items = branch.items[first...]
            var start = items.startIndex
            while start < items.endIndex {
                let end = ImportChunks.end(
                    from: start,
                    before: items.endIndex,
                    maxCount: itemsPerAdd,
                    maxBytes: maxBytesPerAdd
                ) { items[$0].jsonBytes.count }
                ids[commands.count] = branch.messageIDs[start..<end]
                commands.append(.addItems(session: id, items: Array(items[start..<end])))
                start = end
            }
        }
        defer { addedMessages = ids }
        guard let main = session.branches.first else {
            return []
        }
        var current = currentBranch ?? main.name
        func switchTo(_ name: String) {
            if !current.isSameName(as: name) {
                commands.append(.switchBranch(session: id, name: name))
                current = name
            }
        }
        switchTo(main.name)
        add(main, from: 0)
        var imported = [Imported(main)]
        messages.formUnion(main.messageIDs)
        for branch in session.branches.dropFirst() {
            if let (parent, turn, shared) = origin(of: branch, among: imported) {
                switchTo(parent.name)
                commands.append(.createBranch(session: id, source: .turn(turn), name: branch.name))
                current = branch.name
                for _ in shared..<parent.userStarts[turn - 1] {
                    commands.append(.popItem(session: id))
                }
                add(branch, from: shared)
            } else if let first = Imported(branch).userStarts.first {
                // No imported branch has a user turn (main is empty, say): the branch's own items
                // go on main for a moment, so that it can be created from their first turn; main
                // then pops them again.
                switchTo(main.name)
                add(branch, from: 0)
                commands.append(.createBranch(session: id, source: .turn(1), name: branch.name))
                current = branch.name
                // The copy is main's own items (none a user item) and the branch's before `first`.
                for _ in 0..<(main.items.count + first) {
                    commands.append(.popItem(session: id))
                }
                add(branch, from: 0)
                switchTo(main.name)
                for _ in branch.items.indices {
                    commands.append(.popItem(session: id))
                }
            } else {
                skipped.append(
                    "branch '\(branch.name)' of session '\(id)' not imported: it has no user item, and no branch of "
                        + "the session has a user turn to create it from"
                )
                continue
            }
            imported.append(Imported(branch))
            messages.formUnion(branch.messageIDs)
        }
        switchTo(currentBranch ?? main.name)
        return commands
    }

    /// The branch and turn to create `branch` from, and how many of its first items that copies
    /// as they are (the rest of the copy, when `branch` does not start with it, is popped).
    private static func origin(
        of branch: SDKDatabase.Branch,
        among imported: [Imported]
    ) -> (parent: Imported, turn: Int, shared: Int)? {
        var best: (parent: Imported, turn: Int, shared: Int)?
        for parent in imported {
            for (index, start) in parent.userStarts.enumerated()
            where start > (best?.shared ?? -1) && branch.messageIDs.starts(with: parent.messageIDs[..<start]) {
                best = (parent, index + 1, start)
            }
        }
        if best == nil, let parent = imported.first(where: { !$0.userStarts.isEmpty }) {
            best = (parent, 1, 0)
        }
        return best
    }
}
