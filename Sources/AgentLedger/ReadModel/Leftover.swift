import Foundation

/// Removing a file or directory that a killed process left behind.
enum Leftover {
    /// Removes `path`, left by process `pid` that no longer exists, and logs it as `what` (such
    /// as "the staging directory of an interrupted checkout"). A safeguard: what cannot be
    /// removed is left, and logged.
    ///
    /// - Parameter files: when given, `path` is a directory and only these files in it are
    ///   removed, then the directory itself with `rmdir`, which leaves it (logged) if anything
    ///   else is in it: nothing a user may have put there is lost. When nil, everything goes.
    static func remove(_ path: String, _ what: String, pid: Int32, files: [String]? = nil, options: LedgerOptions) {
        do {
            if let files {
                for file in files {
                    try Syscalls.removeFile(path + "/" + file)
                }
                try Syscalls.removeDirectory(path)
            } else {
                try FileManager.default.removeItem(atPath: path)
            }
            options.logger.notice("removed \(what)", metadata: ["path": "\(path)", "pid": "\(pid)"])
        } catch {
            options.logger.warning("could not remove \(what)", metadata: ["path": "\(path)", "error": "\(error)"])
        }
    }
}
