#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Files that root creates in a store another user owns, given to that user: a maintenance
/// command run with `sudo` (a rebuild, a read that repairs, a write that rolls the log over)
/// must not leave a segment or a read model that the store's owner can no longer open.
enum FileOwnership {
    /// When this process runs as root and the file open as `descriptor` (at `path`) is root's
    /// while its directory belongs to another user, gives the file that user and group. Best
    /// effort: a file system that refuses (root squashed on NFS, say) keeps the file as it is.
    static func adoptDirectoryOwner(of descriptor: Int32, path: String) {
        guard geteuid() == 0 else {
            return
        }
        var file = stat()
        var directory = stat()
        let parent = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        guard fstat(descriptor, &file) == 0, stat(parent.isEmpty ? "/" : parent, &directory) == 0,
            file.st_uid == 0, directory.st_uid != 0
        else {
            return
        }
        _ = fchown(descriptor, directory.st_uid, directory.st_gid)
    }

    /// ``adoptDirectoryOwner(of:path:)`` for the file or directory at `path`, which it opens for
    /// a moment.
    static func adoptDirectoryOwner(ofFileAt path: String) {
        guard geteuid() == 0 else {
            return
        }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            return
        }
        adoptDirectoryOwner(of: descriptor, path: path)
        close(descriptor)
    }
}
