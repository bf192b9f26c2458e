public import Foundation

extension LedgerError: LocalizedError {
    /// The same text as ``description`` (code, message, location, underlying error), so that
    /// `error.localizedDescription`, which applications and frameworks show and log, reads
    /// "closed: the ledger at ... is closed" instead of Foundation's "The operation could not be
    /// completed. (AgentLedger.LedgerError error 1.)".
    public var errorDescription: String? {
        description
    }
}
