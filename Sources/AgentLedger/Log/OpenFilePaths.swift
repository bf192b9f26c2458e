import Synchronization

/// The path of each open descriptor of a ``SystemFileSystem``, for error messages.
final class OpenFilePaths: Sendable {
    private let table = Mutex<[Int32: String]>([:])

    /// Remembers the path of a newly opened descriptor.
    func insert(_ descriptor: Int32, _ path: String) {
        table.withLock { $0[descriptor] = path }
    }

    /// Forgets a descriptor that is being closed and returns its path.
    func remove(_ descriptor: Int32) -> String {
        table.withLock { $0.removeValue(forKey: descriptor) } ?? "file descriptor \(descriptor)"
    }

    /// The path of an open descriptor.
    func path(_ descriptor: Int32) -> String {
        table.withLock { $0[descriptor] } ?? "file descriptor \(descriptor)"
    }
}
