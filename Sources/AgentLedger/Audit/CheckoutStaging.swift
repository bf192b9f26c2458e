import Foundation

/// The hidden directory a checkout builds its copy in, on the destination's file system, and its
/// move into place once complete: the copy appears all at once or not at all, never as a store
/// with fewer events than were asked for.
///
/// For a destination that does not exist yet, the directory is `.<name>.checkout-<pid>-<random>`
/// next to it, renamed to the destination at the end. For an existing (empty, or holding other
/// files) destination, possibly a mount point, it is `.checkout-<pid>-<random>` inside it, and
/// its read model and `log/` are moved up into the destination at the end. One left by a killed
/// checkout is not a store at the destination, so nothing takes it for the copy; the next
/// checkout into the same destination removes it once no process with that pid exists
/// (``Syscalls/processIsGone(_:)``).
struct CheckoutStaging {
    /// Where the copy goes.
    let target: CheckoutTarget
    /// The hidden directory the copy is built in.
    let path: String

    /// The places the staging directories of checkouts into `target` go: the directory that
    /// holds them, and the start of their names.
    static func places(for target: CheckoutTarget) -> [(directory: String, prefix: String)] {
        [(target.parent, "." + target.name + ".checkout-"), (target.path, ".checkout-")]
    }

    /// Removes the staging directories of earlier checkouts into `target` whose process is
    /// gone, and creates a new one for this process: inside the destination when it exists
    /// (the same file system even for a mount point), else next to it.
    static func create(for target: CheckoutTarget, options: LedgerOptions) throws -> CheckoutStaging {
        removeAbandoned(for: target, options: options)
        let place = places(for: target)[FileManager.default.fileExists(atPath: target.path) ? 1 : 0]
        let path =
            place.directory + "/" + place.prefix + "\(Syscalls.processID())-"
            + UUID().uuidString.prefix(8).lowercased()
        do {
            // Made under another name with its mark, the mark that makes it one of ours (nothing
            // else is ever removed as a leftover), then renamed: a staging directory never
            // exists without it.
            let unmarked = path + "~"
            if place.directory == target.parent {
                // A destination in a directory that does not exist yet: made as a store's is.
                _ = try options.fileSystem.createDirectoryAndAncestors(atPath: target.parent)
            }
            guard try Syscalls.makeDirectory(unmarked) else {
                throw LedgerError(.io, "\(unmarked) exists already: a staging directory must be new")
            }
            // Created in place, not through FileManager (which writes a temporary file and
            // renames it): a checkout killed here leaves an empty directory or one holding the
            // marker only, which the next checkout removes (`removeUnmarked`).
            let marker = unmarked + "/" + markerName
            let marked =
                (try? Syscalls.closeFile(Syscalls.openFile(marker, flags: O_WRONLY | O_CREAT | O_EXCL), path: marker))
                != nil
            guard marked, try Syscalls.renameItem(unmarked, to: path) else {
                try? FileManager.default.removeItem(atPath: unmarked)
                throw LedgerError(.io, "cannot mark \(unmarked) as a checkout's staging directory")
            }
        } catch let error as LedgerError {
            throw LedgerError(
                error.code,
                "cannot create the checkout's staging directory \(path) "
                    + "(the copy is built there, then moved into place): \(error.message)",
                underlying: error
            )
        }
        return CheckoutStaging(target: target, path: path)
    }

    /// The empty file every staging directory holds from its creation on.
    static let markerName = ".agentledger-checkout"

    /// The pid in `name` when it is exactly a staging directory's name after `prefix`:
    /// `<pid>-<8 lowercase hexadecimal digits>`; nil for anything else.
    static func stagingPID(_ name: String, prefix: String) -> Int32? {
        guard name.hasPrefix(prefix) else {
            return nil
        }
        let parts = name.dropFirst(prefix.count).split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let pid = Int32(parts[0]), pid > 0, parts[1].count == 8,
            parts[1].allSatisfy({ $0.isHexDigit && !$0.isUppercase })
        else {
            return nil
        }
        return pid
    }

    /// Removes the staging directories of checkouts into `target` killed before they finished.
    /// A safeguard: what cannot be listed or removed is left, and logged.
    private static func removeAbandoned(for target: CheckoutTarget, options: LedgerOptions) {
        for (directory, prefix) in places(for: target) {
            removeAbandoned(in: directory, prefix: prefix, options: options)
        }
    }

    /// Removes the staging directories named `prefix<pid>-…` in `directory` whose process is gone.
    private static func removeAbandoned(in directory: String, prefix: String, options: LedgerOptions) {
        guard let names = try? Syscalls.listDirectory(directory) else {
            return
        }
        for name in names {
            let path = directory + "/" + name
            if name.hasSuffix("~") {
                removeUnmarked(path, name: String(name.dropLast()), prefix: prefix, options: options)
                continue
            }
            guard let pid = stagingPID(name, prefix: prefix), Syscalls.processIsGone(pid),
                FileManager.default.fileExists(atPath: path + "/" + markerName)
            else {
                continue
            }
            Leftover.remove(path, "the staging directory of an interrupted checkout", pid: pid, options: options)
        }
    }

    /// Removes `path`, a staging directory's name with `~` appended, when a checkout killed
    /// between making it and renaming it left it: its process is gone and it holds nothing but
    /// the marker (which is removed, then the directory with `rmdir`, so that nothing else
    /// inside could be lost).
    private static func removeUnmarked(_ path: String, name: String, prefix: String, options: LedgerOptions) {
        guard let pid = stagingPID(name, prefix: prefix), Syscalls.processIsGone(pid),
            let contents = try? Syscalls.listDirectory(path), contents.allSatisfy({ $0 == markerName })
        else {
            return
        }
        Leftover.remove(
            path,
            "the unfinished staging directory of an interrupted checkout",
            pid: pid,
            files: contents,
            options: options
        )
    }

    /// Moves the complete copy (its log synced, its read model built and closed) to the
    /// destination. A destination that did not exist is the staging directory renamed, in one
    /// `rename(2)`. Into an existing directory (the staging directory is inside it), the read
    /// model moves first and `log/` last, under the destination's lock: the store is there once
    /// its log is. Removes the staging directory either way.
    ///
    /// - Parameter destination: the destination as the caller named it, for messages.
    func publish(as destination: String) throws {
        // The read model was renamed into place in the staging directory: make that durable too.
        try Syscalls.syncDirectory(path)
        let inside = (path as NSString).deletingLastPathComponent == target.path
        if !inside, try Syscalls.renameItem(path, to: target.path) {
            try Syscalls.syncDirectory(target.parent)
            try? FileManager.default.removeItem(atPath: target.path + "/" + Self.markerName)
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
