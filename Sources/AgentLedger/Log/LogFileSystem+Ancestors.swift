#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension LogFileSystem {
    /// Creates the directory at `path` and, as `mkdir -p` does, those of its ancestors that are
    /// missing, each synced into its parent so that a crash cannot lose it once the store has
    /// acknowledged a write in it. Returns `false` when `path` already exists.
    func createDirectoryAndAncestors(atPath path: String) throws -> Bool {
        let created: Bool
        do {
            created = try createDirectory(atPath: path)
        } catch let error as LedgerError where (error.underlying as? SystemCallError)?.errno == ENOENT {
            let parent = Self.parentDirectory(of: path)
            guard parent != path else {
                throw error
            }
            _ = try createDirectoryAndAncestors(atPath: parent)
            created = try createDirectory(atPath: path)
        }
        if created {
            try syncDirectory(atPath: Self.parentDirectory(of: path))
        }
        return created
    }

    /// The directory that holds `path`: "." for a name without a slash, "/" for the root's
    /// entries (and the root itself).
    static func parentDirectory(of path: String) -> String {
        var trimmed = path
        while trimmed.count > 1, trimmed.hasSuffix("/") {
            trimmed.removeLast()
        }
        guard let slash = trimmed.lastIndex(of: "/") else {
            return "."
        }
        let parent = String(trimmed[..<slash])
        return parent.isEmpty ? "/" : parent
    }
}
