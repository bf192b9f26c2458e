import Foundation

/// A new, empty directory under the system's temporary directory, removed (with everything in
/// it) by ``remove()`` or when the object is released.
///
/// ```swift
/// let directory = try TemporaryDirectory()
/// defer { directory.remove() }
/// let store = directory.path + "/store"
/// ```
public final class TemporaryDirectory {
    /// The directory's absolute path.
    public let path: String
    private var isRemoved = false

    /// Creates a directory named `<prefix>-<random>` in the temporary directory.
    public init(prefix: String = "agentledger") throws {
        let base = FileManager.default.temporaryDirectory.path
        path = base + "/" + prefix + "-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        remove()
    }

    /// Removes the directory and everything in it; idempotent.
    public func remove() {
        if !isRemoved {
            isRemoved = true
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    /// Runs `body` with the path of a new temporary directory, and removes it afterwards.
    public static func with<R>(prefix: String = "agentledger", _ body: (String) throws -> R) throws -> R {
        let directory = try TemporaryDirectory(prefix: prefix)
        defer { directory.remove() }
        return try body(directory.path)
    }
}
