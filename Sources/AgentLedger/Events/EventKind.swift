/// The kinds of event the log records. Every mutation of a session is one of these.
///
/// The raw value is the byte stored in the log (FORMAT.md, "Events"); it never changes.
public enum EventKind: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// Items were appended to a branch of a session.
    case itemsAdded = 1
    /// The newest item of a branch was removed; the event carries the item.
    case itemPopped = 2
    /// Every item of a session, on every branch, was removed; the session is back on `main`.
    case sessionCleared = 3
    /// A branch was created from a turn of another branch and became current.
    case branchCreated = 4
    /// The session's current branch changed.
    case branchSwitched = 5
    /// A branch was deleted; its name stays reserved.
    case branchDeleted = 6
    /// Token usage was recorded for a turn.
    case usageRecorded = 7

    /// The name used by the CLI and in JSON output, such as `items_added`.
    public var name: String {
        switch self {
        case .itemsAdded: "items_added"
        case .itemPopped: "item_popped"
        case .sessionCleared: "session_cleared"
        case .branchCreated: "branch_created"
        case .branchSwitched: "branch_switched"
        case .branchDeleted: "branch_deleted"
        case .usageRecorded: "usage_recorded"
        }
    }

    /// Finds a kind by its ``name``.
    public init?(name: String) {
        guard let kind = Self.allCases.first(where: { $0.name == name }) else {
            return nil
        }
        self = kind
    }

    /// The kind's ``name``.
    public var description: String { name }
}
