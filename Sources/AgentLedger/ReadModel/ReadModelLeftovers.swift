import Foundation

/// The temporary read models a process builds next to `views.sqlite`, and their removal when
/// the process that built one was killed before it could remove it itself.
///
/// - `views.sqlite.verify-<pid>`: ``Ledger/verifyReadModel()`` of process `pid`. Any process
///   may run one, with or without the store's lock, so only those of processes that no longer
///   exist are removed (``Syscalls/processIsGone(_:)``), never one of a live process.
/// - `views.sqlite.rebuild`: a rebuild, which only the holder of the store's lock runs
///   (``ReadModelBuilder``); the next rebuild replaces it, and the next open for writing
///   removes it.
enum ReadModelLeftovers {
    /// The start of the name of a deep verification's temporary read model.
    static let verifyPrefix = ReadModel.fileName + ".verify-"

    /// The path of the temporary read model of a deep verification by process `pid`.
    static func verifyPath(directory: String, pid: Int32) -> String {
        directory + "/" + verifyPrefix + "\(pid)"
    }

    /// The process that made `name`, when it is the name of a deep verification's temporary
    /// read model or of one of its SQLite side files.
    static func verifyOwner(ofFileNamed name: String) -> Int32? {
        guard name.hasPrefix(verifyPrefix) else {
            return nil
        }
        let rest = name.dropFirst(verifyPrefix.count)
        let digits = rest.prefix { $0.isASCII && $0.isNumber }
        guard ReadModelBuilder.databaseFileSuffixes.contains(String(rest.dropFirst(digits.count))) else {
            return nil
        }
        return Int32(digits)
    }

    /// Removes from `directory` the temporary read models of deep verifications whose process
    /// no longer exists. A safeguard: what cannot be listed or removed is left, and logged.
    static func removeStaleVerifications(in directory: String, options: LedgerOptions) {
        guard let names = try? Syscalls.listDirectory(directory) else {
            return
        }
        for name in names {
            guard let pid = verifyOwner(ofFileNamed: name), Syscalls.processIsGone(pid) else {
                continue
            }
            Leftover.remove(
                directory + "/" + name,
                "the temporary read model of a verification whose process is gone",
                pid: pid,
                options: options
            )
        }
    }

    /// Removes what a killed process left in `directory`, for the holder of its lock: the
    /// temporary read models of deep verifications whose process is gone and that of a rebuild
    /// (only a lock holder rebuilds, so none is in progress).
    static func removeAfterLocking(_ directory: String, options: LedgerOptions) {
        removeStaleVerifications(in: directory, options: options)
        let rebuild = directory + "/" + ReadModelBuilder.rebuildFileName
        let files = ReadModelBuilder.databaseFileSuffixes.map { rebuild + $0 }
        if files.contains(where: { FileManager.default.fileExists(atPath: $0) }) {
            ReadModelBuilder.removeDatabaseFiles(rebuild)
            options.logger.info(
                "removed the temporary read model of an interrupted rebuild",
                metadata: ["file": "\(rebuild)"]
            )
        }
    }
}
