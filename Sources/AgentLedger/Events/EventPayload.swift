/// What an event says, by kind. The envelope (``LedgerEvent``) says where and when.
public enum EventPayload: Sendable, Hashable {
    /// Items appended, in order, to the envelope's branch.
    case itemsAdded([SessionItem])
    /// The newest item of the envelope's branch was removed. `itemSequence` and `itemIndex`
    /// name the event that added it and its index in that event.
    case itemPopped(item: SessionItem, itemSequence: UInt64, itemIndex: Int)
    /// Every item of the session was removed; the session is back on `main`.
    case sessionCleared
    /// The envelope's branch was created from the user turn `fromTurn` of `sourceBranch`
    /// (it holds the turns before it) and became current.
    case branchCreated(sourceBranch: String, fromTurn: Int)
    /// The envelope's branch became current; `previousBranch` was current before.
    case branchSwitched(previousBranch: String)
    /// The envelope's branch was deleted. `switchedToMain` is true when it was current.
    case branchDeleted(switchedToMain: Bool)
    /// Usage was recorded for `turn` of the envelope's branch; it replaces earlier usage of that turn.
    case usageRecorded(turn: Int, usage: RunUsage)

    /// The kind of this payload.
    public var kind: EventKind {
        switch self {
        case .itemsAdded: .itemsAdded
        case .itemPopped: .itemPopped
        case .sessionCleared: .sessionCleared
        case .branchCreated: .branchCreated
        case .branchSwitched: .branchSwitched
        case .branchDeleted: .branchDeleted
        case .usageRecorded: .usageRecorded
        }
    }
}
