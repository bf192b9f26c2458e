/// How ``LogFileSystem/openFile(atPath:mode:)`` opens a file.
public enum LogFileOpenMode: Sendable, Hashable {
    /// Open an existing file for reading only.
    case readOnly
    /// Open an existing file for reading and writing.
    case readWrite
    /// Open a file for reading and writing, creating it (empty) when it does not exist.
    case readWriteCreate
    /// Create a new, empty file for reading and writing; fail when the file already exists.
    case createNew
}
