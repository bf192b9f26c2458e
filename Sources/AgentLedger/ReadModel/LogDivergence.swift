import GRDB
import Logging

/// Tells whether a read model applied the events the log holds, past the first frame that
/// ``LogIdentity`` compares. A copy of a store that went on writing on its own keeps the same
/// identity; its log put in place of this one must not be caught up on top of a model built
/// from the other history, which would mix the two without an error.
///
/// Two checks, the cheaper first:
/// - a writer that closes cleanly records the log's head (its last sequence number and hash) in
///   the model; while the model has applied nothing since, the log's frame ending at that
///   sequence number must have that hash: the log's head when the log ends there too (nothing
///   is read), else one frame read;
/// - otherwise (after a crash) the model's `event_time` row at the time of the log's event at
///   the model's checkpoint must name that event (the newest event of each microsecond is
///   recorded there). Another history gives that event another time, unless a clock stamped
///   both alike: then the divergence goes unseen, as before this check. One frame is read.
enum LogDivergence {
    /// The `ledger_meta` key of the head recorded at a clean close: "SEQUENCE HASH".
    static let closedHeadKey = "closed_head"

    /// Why the model of `status` cannot be caught up from the log of `directory` (whose last
    /// event is `logLastSequence` and whose head hash is `logHead`, in hex), or nil. A log or
    /// model that cannot be read here gives nil with a warning: what reads them next reports it.
    static func reason(
        model: ReadModel,
        status: ReadModel.Status,
        logLastSequence: UInt64,
        logHead: String,
        directory: String,
        options: LedgerOptions
    ) -> String? {
        let checkpoint = status.checkpoint
        guard checkpoint > 0, checkpoint <= logLastSequence else {
            return nil
        }
        // The head a clean close recorded, when the model has applied nothing since.
        let closedHash = status.closedHead.flatMap(parseHead).flatMap { $0.sequence == checkpoint ? $0.hash : nil }
        if let closedHash, checkpoint == logLastSequence {
            return closedHash == logHead ? nil : hashesDiffer(at: checkpoint, model: closedHash, log: logHead)
        }
        do {
            guard let frame = try frame(holding: checkpoint, directory: directory, options: options) else {
                return nil
            }
            if let closedHash, frame.lastSequence == checkpoint {
                return closedHash == frame.hashHex
                    ? nil : hashesDiffer(at: checkpoint, model: closedHash, log: frame.hashHex)
            }
            guard let time = try EventCodec.decode(frame).first(where: { $0.sequence == checkpoint })?.timestampMicros
            else {
                return nil
            }
            let recorded = try model.pool.read { db in
                try Int64.fetchOne(db, sql: "SELECT seq FROM event_time WHERE at = ?", arguments: [time])
            }
            guard recorded != Int64(bitPattern: checkpoint) else {
                return nil
            }
            return "it was built from a log that diverged from this one (the log's event \(checkpoint), the last "
                + "the model applied, is at \(time) µs, a time at which the model applied "
                + (recorded.map { "event \($0)" } ?? "no event") + ")"
        } catch {
            options.logger.warning(
                "could not compare the read model's last event with the log's",
                metadata: ["error": "\(error)"]
            )
            return nil
        }
    }

    /// The reason given when the frame ending at `sequence` has another hash in the log.
    private static func hashesDiffer(at sequence: UInt64, model: String, log: String) -> String {
        "it was built from a log that diverged from this one (the frame ending at event \(sequence) has the hash "
            + "\(model.prefix(16))… in the model, \(log.prefix(16))… in the log)"
    }

    /// The frame of the log of `directory` that holds event `sequence`; nil when there is none.
    private static func frame(holding sequence: UInt64, directory: String, options: LedgerOptions) throws -> LogFrame? {
        let reader = try LogReader.open(directory: directory, fileSystem: options.fileSystem)
        guard sequence <= reader.lastSequence else {
            return nil
        }
        var frames = reader.frames(from: sequence, through: sequence)
        return try frames.next()
    }

    /// "SEQUENCE HASH" as its two parts; nil when it is not that.
    static func parseHead(_ text: String) -> (sequence: UInt64, hash: String)? {
        let parts = text.split(separator: " ")
        guard parts.count == 2, let sequence = UInt64(parts[0]) else {
            return nil
        }
        return (sequence, String(parts[1]))
    }
}

extension ReadModel {
    /// Records the log's head at a clean close of the writer that applied every event through
    /// `sequence`, whose hash is `hash` (hex): see ``LogDivergence``. A close after no write
    /// finds that head recorded already and writes nothing.
    func recordClosedHead(sequence: UInt64, hash: String) throws {
        try Self.setMeta(LogDivergence.closedHeadKey, "\(sequence) \(hash)", in: pool)
    }
}
