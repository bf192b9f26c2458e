public import Foundation

/// One branch of a session, as listed by ``LedgerSession/listBranches(asOf:)``.
public struct BranchInfo: Sendable, Hashable {
    /// The branch name (`main`, or the name given or generated at creation).
    public let name: String
    /// Items on the branch.
    public let itemCount: Int
    /// User turns on the branch.
    public let userTurnCount: Int
    /// Whether it is the session's current branch.
    public let isCurrent: Bool
    /// When it was created.
    public let createdAt: Date
    /// The sequence number of the event that created it.
    public let createdSequence: UInt64
    /// The branch it was created from (`nil` for `main`).
    public let parent: String?
    /// The user turn of `parent` it was created from (`nil` for `main`).
    public let fromTurn: Int?
}
