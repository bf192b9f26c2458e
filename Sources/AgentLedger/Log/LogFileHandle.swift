/// An open file of a ``LogFileSystem``.
///
/// For ``SystemFileSystem`` the raw value is the file descriptor; another file system may use
/// any number that it can map back to its file. A handle is valid from the
/// ``LogFileSystem/openFile(atPath:mode:)`` that returned it until it is passed to
/// ``LogFileSystem/closeFile(_:)``.
public struct LogFileHandle: Hashable, Sendable {
    /// The file system's number for the open file (a file descriptor for ``SystemFileSystem``).
    public let rawValue: Int32

    /// Wraps a raw value, such as a file descriptor.
    public init(rawValue: Int32) {
        self.rawValue = rawValue
    }
}
