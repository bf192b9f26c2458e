/// A mutation a caller asks the writer for. The writer turns it into at most one event.
enum WriteCommand: Sendable {
    case addItems(session: String, items: [SessionItem])
    case popItem(session: String)
    case clearSession(session: String)
    case createBranch(session: String, source: BranchSource, name: String?)
    case switchBranch(session: String, name: String)
    case deleteBranch(session: String, name: String, force: Bool)
    case recordUsage(session: String, usage: RunUsage)
    /// The command, refused unless the event it derives records what `event`, the exported one
    /// it replays, recorded: the same branch (as the store compares names), for a pop the same
    /// item, for usage the same turn, for a new branch the same source branch and turn. An
    /// import's adds, pops, usage records and branch creations: after a refused branch change,
    /// or into a session that was not empty, they are refused, never written as another history.
    /// With `importedAfter`, the branch the command acts on (a new branch's source) must also
    /// have been created after that sequence number, by the import: a branch of the same name
    /// that the store had before is another branch.
    indirect case replaying(LedgerEvent, WriteCommand, importedAfter: UInt64? = nil)
    /// The command, refused unless the branch it acts on was created after sequence `after`, by
    /// the import that sends it: an import's switch to a branch it created, which records no
    /// exported event of its own to compare (see ``replaying(_:_:importedAfter:)``).
    indirect case onImportedBranch(WriteCommand, after: UInt64)
    /// Several commands applied in order in one group commit, each with its own outcome
    /// (an import). A rejected command does not stop the ones after it.
    case sequence([WriteCommand])

    /// Where a new branch starts.
    enum BranchSource: Sendable {
        case turn(Int)
        case turnContaining(String)
    }

    /// The session the command changes; empty for a ``sequence(_:)``.
    var sessionID: String {
        switch self {
        case .addItems(let session, _), .popItem(let session), .clearSession(let session),
            .createBranch(let session, _, _), .switchBranch(let session, _), .deleteBranch(let session, _, _),
            .recordUsage(let session, _):
            session
        case .replaying(_, let command, _), .onImportedBranch(let command, _):
            command.sessionID
        case .sequence:
            ""
        }
    }

    /// About how many bytes the command's event takes in a frame, to bound a group commit:
    /// what it carries (items, usage details; for a replayed pop, the exported item) and its
    /// envelope. A live pop's item is known only once derived, and counts as an envelope.
    var byteCount: Int {
        switch self {
        case .addItems(let session, let items):
            Self.envelopeBytes(session) + Self.itemBytes(items)
        case .recordUsage(let session, let usage):
            Self.envelopeBytes(session) + (usage.detailsJSON?.utf8.count ?? 0)
        case .sequence(let commands):
            commands.reduce(0) { $0 + $1.byteCount }
        case .replaying(let event, let command, _):
            switch event.payload {
            case .itemPopped(let item, _, _):
                max(command.byteCount, Self.envelopeBytes(sessionID) + item.jsonBytes.count)
            default: command.byteCount
            }
        case .onImportedBranch(let command, _):
            command.byteCount
        default:
            Self.envelopeBytes(sessionID)
        }
    }

    /// The bytes `items` take in an add's event: each item's JSON and its length (at most 10
    /// bytes).
    static func itemBytes(_ items: [SessionItem]) -> Int {
        items.reduce(0) { $0 + $1.jsonBytes.count + 10 }
    }

    /// About an event's bytes besides what it carries: version, kind, sequence, time, the
    /// session id, a short branch name and the body's counts. (A branch name of up to 256
    /// bytes is not counted: the writer caps a group commit at
    /// ``LedgerOptions/largestGroupCommitEvents`` events, so that it still fits in a frame.)
    private static func envelopeBytes(_ session: String) -> Int {
        session.utf8.count + 40
    }
}

/// What the writer answers once a command's batch is durable (and applied, or being applied:
/// see ``AppliedSequence``).
enum WriteOutcome: Sendable {
    /// Nothing was written (an empty add, a pop of an empty branch, usage with no turn).
    case nothing
    /// The event with this sequence number was written.
    case written(sequence: UInt64)
    /// An item was popped by the event with this sequence number.
    case popped(SessionItem, sequence: UInt64)
    /// A branch with this name was created by the event with this sequence number.
    case branchCreated(String, sequence: UInt64)
    /// The outcomes of a ``WriteCommand/sequence(_:)``, in order.
    case sequence([Result<WriteOutcome, LedgerError>])
}
