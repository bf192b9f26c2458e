import Foundation

/// Removing a file or directory that a killed process left behind.
enum Leftover {
    /// Removes `path`, left by process `pid` that no longer exists, and logs it as `what` (such
    /// as "the staging directory of an interrupted checkout"). A safeguard: what cannot be
    /// removed is left, and logged.
    static func remove(_ path: String, _ what: String, pid: Int32, options: LedgerOptions) {
        do {
            try FileManager.default.removeItem(atPath: path)
            options.logger.notice("removed \(what)", metadata: ["path": "\(path)", "pid": "\(pid)"])
        } catch {
            options.logger.warning("could not remove \(what)", metadata: ["path": "\(path)", "error": "\(error)"])
        }
    }
}
