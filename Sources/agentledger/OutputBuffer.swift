import Glibc

/// Text for standard output, collected in memory and written with `write(2)` when flushed.
///
/// Item JSON goes out byte for byte as it was stored; nothing here re-encodes it.
struct OutputBuffer {
    private var bytes: [UInt8] = []

    /// What a command that prints many lines holds at most before it flushes, whatever the
    /// number of lines: an event can carry megabytes of items, and a count of events alone
    /// (`export` flushed every 1,000) let the buffer grow to gigabytes.
    static let flushBytes = 1 << 20

    /// Whether the buffer holds at least ``flushBytes``: time to flush.
    var isFull: Bool { bytes.count >= Self.flushBytes }

    /// Appends `text` as UTF-8.
    mutating func append(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    /// Appends raw bytes.
    mutating func append(bytes more: [UInt8]) {
        bytes.append(contentsOf: more)
    }

    /// Appends `text` and a newline.
    mutating func line(_ text: String) {
        bytes.append(contentsOf: text.utf8)
        bytes.append(0x0A)
    }

    /// Writes everything collected to standard output and empties the buffer.
    ///
    /// - Throws: ``CLIFailure`` (exit 74) when standard output cannot be written.
    mutating func flush() throws(CLIFailure) {
        defer { bytes.removeAll(keepingCapacity: true) }
        try Self.write(bytes, to: STDOUT_FILENO)
    }

    /// ``flush()`` for a command whose write is already stored: a failure starts with `done`
    /// (such as "the items were added at sequence 7"), so that nobody repeats the write on the
    /// strength of the exit code.
    ///
    /// - Throws: ``CLIFailure`` (exit 74) when standard output cannot be written.
    mutating func flush(afterWriting done: String) throws(CLIFailure) {
        do {
            try flush()
        } catch {
            throw CLIFailure(error.exitCode, "\(done); \(error.message)")
        }
    }

    /// Writes all of `bytes` to `descriptor`, retrying short writes and `EINTR`.
    static func write(_ bytes: [UInt8], to descriptor: Int32) throws(CLIFailure) {
        var failure: Int32 = 0
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR {
                        continue
                    }
                    failure = errno
                    return
                }
                offset += written
            }
        }
        if failure != 0 {
            throw CLIFailure(ExitCodes.ioError, "cannot write the output: \(String(cString: strerror(failure)))")
        }
    }

    /// Ends the command as a write to standard output would once nobody reads it (a pipe whose
    /// reading end was closed, as `| head -1` does after its line): killed by SIGPIPE, or with
    /// exit 74 where SIGPIPE is ignored. For `log --follow`, which writes nothing while the log
    /// is idle and so would not find out.
    ///
    /// - Throws: ``CLIFailure`` (exit 74) when the reader is gone and SIGPIPE is ignored.
    static func endIfReaderGone() throws(CLIFailure) {
        var descriptor = pollfd(fd: STDOUT_FILENO, events: 0, revents: 0)
        // POLLERR on the writing end of a pipe means that it has no reader left.
        guard poll(&descriptor, 1, 0) == 1, descriptor.revents & Int16(POLLERR) != 0 else {
            return
        }
        raise(SIGPIPE)
        throw CLIFailure(ExitCodes.ioError, "cannot write the output: \(String(cString: strerror(EPIPE)))")
    }

    /// Writes `agentledger: <message>` and a newline to standard error, as ``shown(_:)``.
    static func printError(_ message: String) {
        try? write(Array("agentledger: \(shown(message))\n".utf8), to: STDERR_FILENO)
    }

    /// A message as this tool shows it: the control characters a terminal acts on written as
    /// escapes (``TerminalText``), but its own line feeds and tabs, so that a session id or
    /// branch name it quotes cannot move the cursor, clear the screen or recolour the text, as
    /// the tables already ensure; and the library options it names given as this tool's
    /// (``LibraryOptionNames``).
    static func shown(_ message: String) -> String {
        TerminalText.escaped(LibraryOptionNames.forCommandLine(message), keeping: ["\n", "\t"])
    }
}
