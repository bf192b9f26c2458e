/// The input of `import`, line by line: the file named by `--file`, else standard input, read
/// 64 KiB at a time (``InputFile``), so that beside what the caller keeps only the line being
/// handled and one read are in memory, not the whole input as well.
enum InputLines {
    /// Calls `body` with each line of `path` (standard input when `nil`), without its `\n`, and
    /// its number from 1. The lines are those of splitting the whole input at each `\n`: a last
    /// line without one counts, and so does the empty line after a final `\n`. A byte order
    /// mark at the start of the input is not part of the first line (as `add` skips it).
    ///
    /// - Throws: ``CLIFailure`` as ``InputFile/read(_:)`` does, or what `body` throws.
    static func forEach(_ path: String?, _ body: ([UInt8], Int) throws(CLIFailure) -> Void) throws(CLIFailure) {
        func line(_ bytes: [UInt8], _ number: Int) throws(CLIFailure) {
            if number == 1, bytes.starts(with: InputFile.byteOrderMark) {
                try body(Array(bytes.dropFirst(InputFile.byteOrderMark.count)), number)
            } else {
                try body(bytes, number)
            }
        }
        try InputFile.withInput(path) { descriptor, _, name throws(CLIFailure) in
            var pending: [UInt8] = []  // the start of a line whose end has not been read yet
            var chunk = [UInt8](repeating: 0, count: InputFile.readChunkBytes)
            var lineNumber = 0
            while true {
                let count = try InputFile.readChunk(descriptor, into: &chunk, name: name)
                if count == 0 {
                    break
                }
                // Only the new bytes can hold the next `\n`: a long line is not scanned again
                // on every read.
                var searchFrom = pending.count
                pending.append(contentsOf: chunk[..<count])
                var lineStart = 0
                while let newline = pending[searchFrom...].firstIndex(of: 0x0A) {
                    lineNumber += 1
                    try line(Array(pending[lineStart..<newline]), lineNumber)
                    lineStart = newline + 1
                    searchFrom = lineStart
                }
                pending.removeFirst(lineStart)
            }
            try line(pending, lineNumber + 1)
        }
    }
}
