/// Checks a log against the head its read model recorded at the store's last clean close
/// (``LogDivergence/closedHeadKey``): the frame ending at that sequence number must still have
/// that hash. It catches what the hash chain cannot: the last frame rewritten with its
/// checksums recomputed, or the whole chain recomputed after a change, as long as the read
/// model was left as it was.
enum ClosedHeadCheck {
    /// The head that a read model of `status` recorded at a clean close, for a log of identity
    /// `logIdentity`; nil when it recorded none, or when either identity is unknown.
    /// `otherLog`: the identities of the log the model was built from and of this log, when
    /// they differ (the log's first frame changed, the chain after it recomputed, or another
    /// store's log or model put in place).
    static func recordedHead(
        _ status: ReadModel.Status,
        logIdentity identity: String?
    ) -> (sequence: UInt64, hash: String, otherLog: (model: String, log: String)?)? {
        guard let recorded = status.logIdentity, let identity,
            let head = status.closedHead.flatMap(LogDivergence.parseHead)
        else {
            return nil
        }
        return (head.sequence, head.hash, identity == recorded ? nil : (recorded, identity))
    }

    /// Adds a problem to `verification` of the log of `directory` when its frame ending at
    /// `head`'s sequence number is missing or has another hash, or when the model was built
    /// from another log (`otherLog`). Otherwise nothing when the log ends
    /// before it (``Ledger/checkDurable(_:through:)`` reports that) or could not be read there.
    static func check(
        _ verification: inout LogVerification,
        against head: (sequence: UInt64, hash: String, otherLog: (model: String, log: String)?),
        directory: String
    ) {
        let recorded =
            "the read model recorded the log's head at its last clean close as sequence \(head.sequence) "
            + "with the hash \(head.hash.prefix(16))…"
        if let otherLog = head.otherLog {
            verification.problems.append(
                LogProblem(
                    code: .corruptLog,
                    message: recorded + ", but it was built from a log whose first frame has the hash "
                        + "\(otherLog.model.prefix(16))…, and this log's first frame has the hash "
                        + "\(otherLog.log.prefix(16))…: the log was changed after it was written (its first frame, "
                        + "and the chain after it recomputed), or the log or the read model is another store's",
                    location: nil
                )
            )
            return
        }
        guard head.sequence > 0, head.sequence <= verification.lastSequence,
            let reader = try? LogReader.open(directory: directory)
        else {
            return
        }
        var frames = reader.frames(from: head.sequence, through: head.sequence)
        guard let frame = try? frames.next() else {
            return
        }
        let found: String
        if frame.lastSequence != head.sequence {
            found = "no frame ends there (the frame holding it ends at \(frame.lastSequence))"
        } else if frame.hashHex != head.hash {
            found = "the frame ending there has the hash \(frame.hashHex.prefix(16))…"
        } else {
            return
        }
        verification.problems.append(
            LogProblem(
                code: .corruptLog,
                message: recorded + ", but \(found): the log was changed after it was "
                    + "written, or the read model comes from a copy of this store that went on writing on its own",
                location: frame.location
            )
        )
    }
}
