import Foundation

/// Where a checkout may put its copy: the destination with symbolic links and `..` resolved,
/// checked before anything is written. Refuses a destination inside the source store (the
/// copy's files would land among the source's, its `log/` included), one that already holds
/// a store, and one that is not a directory.
struct CheckoutTarget {
    /// The destination's absolute path, symbolic links resolved (those of its existing part).
    let path: String

    /// Checks `destination` against the store at `source` (paths as given, relative ones to the
    /// current directory).
    init(source: String, destination: String) throws {
        // An empty path would resolve to the current directory: a store written where the
        // caller happens to be, not where they asked.
        guard !destination.isEmpty else {
            throw LedgerError(.invalidArgument, "the destination path is empty; name a new directory")
        }
        let sourcePath = Self.resolve(source)
        path = Self.resolve(destination)
        if path == sourcePath || path.hasPrefix(sourcePath == "/" ? "/" : sourcePath + "/") {
            throw LedgerError(
                .invalidArgument,
                "\(destination) is inside the store being checked out (\(sourcePath)): "
                    + "choose a directory outside it"
            )
        }
        guard path != "/" else {
            throw LedgerError(.invalidArgument, "the root directory cannot hold a checkout; choose a new directory")
        }
        if FileManager.default.fileExists(atPath: path + "/" + EventLog.logDirectoryName) {
            throw Self.holdsStore(destination)
        }
        // A file the copy would put there, which it would replace: the user's, or a store's.
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        if let taken = names.sorted().first(where: { $0 == StoreLock.fileName || $0.hasPrefix(ReadModel.fileName) }) {
            throw LedgerError(
                .invalidArgument,
                "\(destination) already holds \(taken), which a store would replace; choose a new directory"
            )
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw LedgerError(.invalidArgument, "\(destination) is not a directory; choose a new directory")
        }
    }

    /// The directory that holds the destination.
    var parent: String {
        let parent = (path as NSString).deletingLastPathComponent
        return parent.isEmpty ? "/" : parent
    }

    /// The destination's last path component.
    var name: String {
        (path as NSString).lastPathComponent
    }

    /// The error for a destination that already holds a store.
    static func holdsStore(_ destination: String) -> LedgerError {
        LedgerError(.invalidArgument, "\(destination) already holds a store; choose a new directory")
    }

    /// `path` made absolute with `realpath(3)` for its longest existing part, and the rest
    /// (which does not exist yet) appended with `.` and `..` applied to it.
    static func resolve(_ path: String) -> String {
        var existing = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var rest: [String] = []
        while true {
            if let resolved = realpath(existing, nil) {
                defer { free(resolved) }
                var components = String(cString: resolved).split(separator: "/").map(String.init)
                for component in rest {
                    switch component {
                    case "", ".":
                        continue
                    case "..":
                        _ = components.popLast()
                    default:
                        components.append(component)
                    }
                }
                return "/" + components.joined(separator: "/")
            }
            let parent = (existing as NSString).deletingLastPathComponent
            guard !parent.isEmpty, parent != existing else {
                // Nothing of it exists, not even `/`: leave it to the file operations to fail.
                return URL(fileURLWithPath: path).standardizedFileURL.path
            }
            rest.insert((existing as NSString).lastPathComponent, at: 0)
            existing = parent
        }
    }
}
