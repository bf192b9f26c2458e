import Foundation

/// A named pipe (FIFO) for tests of commands that read `--file` to its end: a reader sees data
/// only as it is written, and the end only when the writer closes, and the file's size is 0.
struct NamedPipe {
    /// The FIFO's path.
    let path: String

    /// Creates the FIFO at `path`.
    init(path: String) throws {
        guard mkfifo(path, 0o600) == 0 else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        self.path = path
    }

    /// Waits (up to `seconds`) for a reader to open the FIFO, writes `bytes` in pieces of
    /// `pieceBytes`, and closes it, which the reader sees as the end of the input.
    func write(_ bytes: [UInt8], pieceBytes: Int = 4096, seconds: Double = 10) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        var descriptor: Int32 = -1
        // O_NONBLOCK: opening for writing fails with ENXIO, rather than blocking, until a
        // reader has the FIFO open.
        while descriptor < 0 {
            descriptor = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
            if descriptor < 0 {
                guard errno == ENXIO || errno == EINTR, Date() < deadline else {
                    throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
                }
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        defer { close(descriptor) }
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) & ~O_NONBLOCK)
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + pieceBytes)
            let written = bytes[offset..<end].withUnsafeBytes { buffer in
                Foundation.write(descriptor, buffer.baseAddress, buffer.count)
            }
            if written < 0 {
                guard errno == EINTR else {
                    throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
                }
                continue
            }
            offset += written
        }
    }
}
