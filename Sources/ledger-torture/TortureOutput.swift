#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes the records of ledger-torture: one line per `write(2)`, unbuffered, so that a line is
/// in the pipe as soon as the call returns and a parent never reads half a line.
enum TortureOutput {
    /// Writes `text` and a newline to standard output at once.
    static func line(_ text: String) {
        send(text + "\n", to: STDOUT_FILENO)
    }

    /// Writes `text` and a newline to standard error at once.
    static func error(_ text: String) {
        send("ledger-torture: " + text + "\n", to: STDERR_FILENO)
    }

    /// Ends the process with `code` (standard output holds nothing unwritten).
    static func exit(_ code: Int32) -> Never {
        _exit(code)
    }

    private static func send(_ text: String, to descriptor: Int32) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { buffer in
                write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if written < 0 {
                if errno == EINTR {
                    continue
                }
                return
            }
            offset += written
        }
    }
}
