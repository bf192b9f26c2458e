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
    /// A UTF-8 byte order mark, which some editors put at the start of a file: skipped where an
    /// input starts (``ItemInput``, ``InputLines``).
    static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// Reads all of `path`, or all of standard input when `path` is `nil`.
    ///
    /// - Throws: ``CLIFailure`` (exit 66) naming the file and why it cannot be read: the C
    ///   library's text for the error (such as "No such file or directory"), or "it is a
    ///   directory".
    static func read(_ path: String?) throws(CLIFailure) -> [UInt8] {
        try withInput(path) { descriptor, sizeHint, name throws(CLIFailure) in
            try readToEnd(descriptor, sizeHint: sizeHint, name: name)
        }
    }

    /// Opens `path` (standard input when `nil`) and calls `body` with its descriptor, the size
    /// of a regular file (0 for anything else: it only sizes a buffer) and its name for
    /// messages; closes it afterwards.
    ///
    /// - Throws: ``CLIFailure`` (exit 66) as ``read(_:)`` does, or what `body` throws.
    static func withInput<T>(
        _ path: String?,
        _ body: (Int32, Int, String) throws(CLIFailure) -> T
    ) throws(CLIFailure) -> T {
        guard let path else {
            if standardInputWasClosed() {
                throw CLIFailure(
                    ExitCodes.noInput,
                    "cannot read standard input: it was closed when agentledger started (`<&-`). Give the input "
                        + "with --file, or on standard input (`< /dev/null` for none)"
                )
            }
            return try body(STDIN_FILENO, 0, "standard input")
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
        // The size of a regular file only sizes the buffer; the loops read until the end.
        return try body(descriptor, status.st_mode & S_IFMT == S_IFREG ? Int(status.st_size) : 0, name)
    }

    /// Reads up to `chunk.count` bytes into `chunk`, again when interrupted; returns how many,
    /// 0 at the end of the input.
    static func readChunk(_ descriptor: Int32, into chunk: inout [UInt8], name: String) throws(CLIFailure) -> Int {
        while true {
            let count = chunk.withUnsafeMutableBytes { buffer in
                Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            }
            if count >= 0 {
                return count
            }
            if errno != EINTR {
                throw failure(name, errno)
            }
        }
    }

    private static func readToEnd(_ descriptor: Int32, sizeHint: Int, name: String) throws(CLIFailure) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(max(0, sizeHint))
        var chunk = [UInt8](repeating: 0, count: readChunkBytes)
        while true {
            let count = try readChunk(descriptor, into: &chunk, name: name)
            if count == 0 {
                return bytes
            }
            bytes.append(contentsOf: chunk[..<count])
        }
    }

    /// Whether standard input was closed when the process started. Its descriptor is then
    /// still closed, or the runtime's first descriptor took its number (libdispatch's epoll
    /// instance or an eventfd, on Linux), which a read would answer with an unrelated error
    /// ("Invalid argument", "Resource temporarily unavailable").
    private static func standardInputWasClosed() -> Bool {
        if fcntl(STDIN_FILENO, F_GETFD) < 0 {
            return errno == EBADF
        }
        var target = [CChar](repeating: 0, count: 64)
        let count = readlink("/proc/self/fd/0", &target, target.count)
        return count > 0 && target[..<count].map { UInt8(bitPattern: $0) }.starts(with: Array("anon_inode:".utf8))
    }

    private static func failure(_ name: String, _ code: Int32) -> CLIFailure {
        CLIFailure(ExitCodes.noInput, "cannot read \(name): \(String(cString: strerror(code)))")
    }
}
