import Foundation

/// The hidden directory a checkout builds its copy in, next to the destination (same parent, so
/// the same file system), and its move into place once complete: the copy appears all at once
/// or not at all, never as a store with fewer events than were asked for.
///
/// The directory is named `.<name>.checkout-<pid>-<random>` after the destination's name and
/// the checkout's process. One left by a killed checkout is not at the destination, so nothing
/// takes it for the copy; the next checkout into the same destination removes it once no
/// process with that pid exists (``Syscalls/processIsGone(_:)``).
struct CheckoutStaging {
    /// Where the copy goes.
    let target: CheckoutTarget
    /// The hidden directory the copy is built in.
    let path: String

    /// The start of the names of the staging directories of checkouts into `target`.
    static func prefix(for target: CheckoutTarget) -> String {
        "." + target.name + ".checkout-"
    }

    /// Removes the staging directories of earlier checkouts into `target` whose process is
    /// gone, and creates a new one for this process.
    static func create(for target: CheckoutTarget, options: LedgerOptions) throws -> CheckoutStaging {
        removeAbandoned(for: target, options: options)
        let path =
            target.parent + "/" + prefix(for: target) + "\(Syscalls.processID())-"
            + UUID().uuidString.prefix(8).lowercased()
        do {
            guard try Syscalls.makeDirectory(path) else {
                throw LedgerError(.io, "\(path) exists already: a staging directory must be new")
            }
        } catch let error as LedgerError {
            throw LedgerError(
                error.code,
                "cannot create the checkout's staging directory next to \(target.path) "
                    + "(the copy is built there, then moved into place): \(error.message)",
                underlying: error
            )
        }
        return CheckoutStaging(target: target, path: path)
    }

    /// Removes the staging directories of checkouts into `target` killed before they finished.
    /// A safeguard: what cannot be listed or removed is left, and logged.
    private static func removeAbandoned(for target: CheckoutTarget, options: LedgerOptions) {
        let prefix = prefix(for: target)
        guard let names = try? Syscalls.listDirectory(target.parent) else {
            return
        }
        for name in names where name.hasPrefix(prefix) {
            guard let pid = Int32(name.dropFirst(prefix.count).prefix { $0 != "-" }), Syscalls.processIsGone(pid)
            else {
                continue
            }
            do {
                try FileManager.default.removeItem(atPath: target.parent + "/" + name)
                options.logger.info(
                    "removed the staging directory of an interrupted checkout",
                    metadata: ["directory": "\(name)", "pid": "\(pid)"]
                )
            } catch {
                options.logger.warning(
                    "could not remove the staging directory of an interrupted checkout",
                    metadata: ["directory": "\(name)", "error": "\(error)"]
                )
            }
        }
    }

    /// Moves the complete copy (its log synced, its read model built and closed) to the
    /// destination. A missing or empty destination is replaced by the staging directory in one
    /// `rename(2)`. Into a directory holding other files, the read model moves first and `log/`
    /// last, under the destination's lock: the store is there once its log is. Removes the
    /// staging directory either way.
    ///
    /// - Parameter destination: the destination as the caller named it, for messages.
    func publish(as destination: String) throws {
        // The read model was renamed into place in the staging directory: make that durable too.
        try Syscalls.syncDirectory(path)
        if try Syscalls.renameItem(path, to: target.path) {
            try Syscalls.syncDirectory(target.parent)
            return
        }
        let lock = try StoreLock.acquire(directory: target.path, fileSystem: SystemFileSystem())
        defer { lock.release() }
        let logName = EventLog.logDirectoryName
        guard !FileManager.default.fileExists(atPath: target.path + "/" + logName) else {
            // Another checkout put its copy there first.
            throw CheckoutTarget.holdsStore(destination)
        }
        let model = target.path + "/" + ReadModel.fileName
        // A journal left there would be applied to the new read model.
        for suffix in ReadModelBuilder.databaseFileSuffixes where !suffix.isEmpty {
            try? FileManager.default.removeItem(atPath: model + suffix)
        }
        guard try Syscalls.renameItem(path + "/" + ReadModel.fileName, to: model),
            try Syscalls.renameItem(path + "/" + logName, to: target.path + "/" + logName)
        else {
            throw CheckoutTarget.holdsStore(destination)
        }
        try Syscalls.syncDirectory(target.path)
        discard()
    }

    /// Removes the staging directory and everything in it.
    func discard() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
