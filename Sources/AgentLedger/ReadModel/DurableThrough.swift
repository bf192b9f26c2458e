import Foundation
import GRDB

/// What a read model proves about its log: events it shows were durable in the log, so that a
/// log which no longer holds them was damaged (a flipped or cut last frame, a deleted last
/// segment) rather than torn by a crash, and opening it refuses instead of cutting it.
///
/// Two proofs, read before the log's recovery runs (which would otherwise cut the damaged
/// frames as an incomplete write, and the catch-up then rebuild away the only other copy):
/// - the head a writer recorded at a clean close (``LogDivergence``): a close makes the log
///   durable first, whatever the durability option;
/// - the model's checkpoint, when the last writer to open the store acknowledged only durable
///   writes (durability `fsync`): its COMMITs follow the fsync of their frames, and an open
///   makes the log's tail durable before a catch-up applies it.
///
/// Both hold only for the log the model was built from (``LogIdentity``); a model that cannot
/// be read proves nothing. With durability `interval` or `none` a power loss may keep model
/// rows whose frames the disk never got: then the checkpoint proves nothing and such a model,
/// ahead of the log, is rebuilt from it as before.
enum DurableThrough {
    /// The `ledger_meta` key of the durability option of the last writer that opened the store.
    static let writerDurabilityKey = "writer_durability"

    /// The last sequence number the read model of the store at `directory` shows its log held
    /// durably; 0 when it shows none (no model, one of another log, one that cannot be read, one
    /// that recorded no log identity).
    ///
    /// A log whose identity cannot be read (its first segment is gone, or its only frame is
    /// damaged) is taken for the model's own: another log put in its place would show its own
    /// identity, and a log that lost its first frame has lost what the model proves.
    static func sequence(directory: String, options: LedgerOptions) -> UInt64 {
        guard let (status, identity) = modelStatus(directory: directory, options: options) else {
            return 0
        }
        return sequence(status, logIdentity: identity)
    }

    /// The status of the read model of the store at `directory`, opened read-only, with the
    /// identity of its log (nil: unreadable); nil when there is no model or it cannot be read.
    static func modelStatus(
        directory: String,
        options: LedgerOptions
    ) -> (status: ReadModel.Status, logIdentity: String?)? {
        let path = directory + "/" + ReadModel.fileName
        guard FileManager.default.fileExists(atPath: path) else {
            return nil
        }
        let identity = ReadModelBuilder.readLogIdentity(directory: directory, options: options)
        do {
            let model = try ReadModel.open(path: path, readOnly: true, readerCount: 1)
            defer { try? model.close() }
            return (try model.status(), identity)
        } catch {
            options.logger.debug(
                "the read model tells nothing about the log's durable events",
                metadata: ["error": "\(error)"]
            )
            return nil
        }
    }

    /// What a read model of `status` proves durable in a log of identity `logIdentity` (nil:
    /// unreadable, taken for the model's own; see ``sequence(directory:options:)``).
    static func sequence(_ status: ReadModel.Status, logIdentity identity: String?) -> UInt64 {
        guard let recorded = status.logIdentity, identity == nil || identity == recorded else {
            return 0
        }
        let closed = status.closedHead.flatMap(LogDivergence.parseHead)?.sequence ?? 0
        return status.writerDurability == name(of: .fsync) ? max(closed, status.checkpoint) : closed
    }

    /// What a read model that proves events through `sequence` durable says, for errors.
    static func claim(_ sequence: UInt64) -> String {
        "the read model shows that the log held events through \(sequence) durably"
    }

    /// Throws `corruptLog` when a log that ends at `logEnd` lacks events through `shown`, which
    /// `claim` says it held, and a reader wants them (through `through`; nil: all). `unless`:
    /// why that may be no damage, said first; `outcome`: what was therefore not done.
    static func checkLogHolds(
        _ shown: UInt64,
        claim: String,
        logEnd: UInt64,
        through: UInt64?,
        unless: String? = nil,
        outcome: String = ""
    ) throws {
        guard shown > logEnd, (through ?? .max) > logEnd else {
            return
        }
        let lost =
            "a damaged or cut last frame, or a missing last segment, lost events \(logEnd + 1)..."
            + "\(min(through ?? shown, shown))\(outcome)" + LogReader.salvageHint(intactThrough: logEnd)
        let reason = unless.map { ". \($0). Otherwise " } ?? ": "
        throw LedgerError(.corruptLog, "the log ends at sequence \(logEnd), but \(claim)" + reason + lost)
    }

    /// The name recorded for `durability`: `fsync`, `interval` or `none`.
    static func name(of durability: Durability) -> String {
        switch durability {
        case .fsync: "fsync"
        case .interval: "interval"
        case .none: "none"
        }
    }
}

extension ReadModel {
    /// Records the durability option of the writer that opened the store, before it writes a
    /// frame (see ``DurableThrough``); nothing is written when it is the one recorded already.
    func recordWriterDurability(_ durability: Durability) throws {
        try Self.recordWriterDurability(durability, in: pool)
    }

    /// Records `durability` as the writer's in the read model in `writer` (a rebuilt model
    /// copied into the live one, which would otherwise lose the record until the next open).
    static func recordWriterDurability(_ durability: Durability, in writer: some DatabaseWriter) throws {
        try setMeta(DurableThrough.writerDurabilityKey, DurableThrough.name(of: durability), in: writer)
    }
}
