import Glibc

/// The input of a command that reads data (`add`, `import`): the file named by `--file`, else
/// standard input, read to its end.
///
/// The input is read with `read(2)` until it reports the end, never trusting the file's size, so
/// a pipe, a FIFO, a process substitution (`--file <(...)`, which names `/dev/fd/N`),
/// `/dev/stdin` or a character device is read as fully as a regular file.
enum InputFile {
    /// The size of each `read(2)`.
    static let readChunkBytes = 64 * 1024

    /// Reads all of `path`, or all of standard input when `path` is `nil`.
    ///
    /// - Throws: ``CLIFailure`` (exit 66) naming the file and why it cannot be read: the C
    ///   library's text for the error (such as "No such file or directory"), or "it is a
    ///   directory".
    static func read(_ path: String?) throws(CLIFailure) -> [UInt8] {
        guard let path else {
            return try readToEnd(STDIN_FILENO, sizeHint: 0, name: "standard input")
        }
        let name = "the file \(path)"
        var descriptor: Int32
        repeat {
            descriptor = open(path, O_RDONLY | O_CLOEXEC)
        } while descriptor < 0 && errno == EINTR
        guard descriptor >= 0 else {
            throw failure(name, errno)
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw failure(name, errno)
        }
        if status.st_mode & S_IFMT == S_IFDIR {
            throw CLIFailure(ExitCodes.noInput, "cannot read \(name): it is a directory")
        }
        // The size of a regular file only sizes the buffer; the loop reads until the end.
        let sizeHint = status.st_mode & S_IFMT == S_IFREG ? Int(status.st_size) : 0
        return try readToEnd(descriptor, sizeHint: sizeHint, name: name)
    }

    /// Reads `descriptor` until `read(2)` returns 0, retrying `EINTR`.
    private static func readToEnd(_ descriptor: Int32, sizeHint: Int, name: String) throws(CLIFailure) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(max(0, sizeHint))
        var chunk = [UInt8](repeating: 0, count: readChunkBytes)
        while true {
            let count = chunk.withUnsafeMutableBytes { buffer in
                Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            }
            if count < 0 {
                if errno == EINTR {
                    continue
                }
                throw failure(name, errno)
            }
            if count == 0 {
                return bytes
            }
            bytes.append(contentsOf: chunk[..<count])
        }
    }

    private static func failure(_ name: String, _ code: Int32) -> CLIFailure {
        CLIFailure(ExitCodes.noInput, "cannot read \(name): \(String(cString: strerror(code)))")
    }
}
