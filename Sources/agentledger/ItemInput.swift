import AgentLedger

/// Reads the items of `agentledger add` from its input: a JSON array of objects, or JSON Lines
/// (one object per line, blank lines skipped), told apart by the first byte that is not
/// whitespace (`[` means an array).
///
/// Every item is validated before any is returned, so a bad line or element rejects the whole
/// input. Each item keeps its exact text (without the whitespace around it).
enum ItemInput {
    /// Parses `bytes` into items.
    ///
    /// - Throws: ``CLIFailure`` (exit 65) naming the line (JSON Lines) or the element index and
    ///   its line (array), and the reason.
    static func parse(_ bytes: [UInt8], maxItemBytes: Int) throws(CLIFailure) -> [SessionItem] {
        var start = 0
        if bytes.starts(with: InputFile.byteOrderMark) {
            start = InputFile.byteOrderMark.count
        }
        while start < bytes.count, isWhitespace(bytes[start]) {
            start += 1
        }
        guard start < bytes.count else {
            return []
        }
        if bytes[start] == UInt8(ascii: "[") {
            return try parseArray(bytes, openingBracket: start, maxItemBytes: maxItemBytes)
        }
        return try parseLines(bytes, from: start, maxItemBytes: maxItemBytes)
    }

    private static func parseLines(
        _ bytes: [UInt8],
        from start: Int,
        maxItemBytes: Int
    ) throws(CLIFailure)
        -> [SessionItem]
    {
        var items: [SessionItem] = []
        var lineNumber = 1 + bytes[..<start].count(where: { $0 == 0x0A })
        var lineStart = start
        while lineStart <= bytes.count {
            let lineEnd = bytes[lineStart...].firstIndex(of: 0x0A) ?? bytes.count
            let (from, to) = trimmed(bytes, lineStart, lineEnd)
            if from < to {
                items.append(try item(bytes, from, to, maxItemBytes: maxItemBytes, place: "line \(lineNumber)"))
            }
            lineNumber += 1
            lineStart = lineEnd + 1
        }
        return items
    }

    private static func parseArray(
        _ bytes: [UInt8],
        openingBracket: Int,
        maxItemBytes: Int
    ) throws(CLIFailure)
        -> [SessionItem]
    {
        var items: [SessionItem] = []
        var index = openingBracket + 1
        index = skipWhitespace(bytes, index)
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            return try finishArray(bytes, after: index + 1, items: items)
        }
        while true {
            let start = skipWhitespace(bytes, index)
            let elementIndex = items.count
            func place() -> String {
                "element [\(elementIndex)] (line \(line(of: start, in: bytes)))"
            }
            var depth = 0
            var inString = false
            index = start
            scan: while index < bytes.count {
                let byte = bytes[index]
                if inString {
                    if byte == UInt8(ascii: "\\") {
                        index += 2
                        continue
                    }
                    if byte == UInt8(ascii: "\"") {
                        inString = false
                    }
                    index += 1
                    continue
                }
                switch byte {
                case UInt8(ascii: "\""):
                    inString = true
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    if depth == 0, byte == UInt8(ascii: "]") {
                        break scan
                    }
                    depth = max(0, depth - 1)
                case UInt8(ascii: ","):
                    if depth == 0 {
                        break scan
                    }
                default:
                    break
                }
                index += 1
            }
            guard index < bytes.count else {
                let inside = inString ? "inside a string" : "inside the array"
                throw CLIFailure.data("\(place()): the input ends \(inside); the array is not closed with ']'")
            }
            let (from, to) = trimmed(bytes, start, index)
            guard from < to else {
                throw CLIFailure.data("\(place()): an element is missing (an extra comma, or a comma before ']')")
            }
            items.append(try item(bytes, from, to, maxItemBytes: maxItemBytes, place: place()))
            if bytes[index] == UInt8(ascii: "]") {
                return try finishArray(bytes, after: index + 1, items: items)
            }
            index += 1
        }
    }

    private static func finishArray(
        _ bytes: [UInt8],
        after index: Int,
        items: [SessionItem]
    ) throws(CLIFailure)
        -> [SessionItem]
    {
        let rest = skipWhitespace(bytes, index)
        guard rest == bytes.count else {
            throw CLIFailure.data(
                "unexpected data after the array's closing ']' at byte \(rest) (line \(line(of: rest, in: bytes))); "
                    + "give one JSON array, or JSON Lines (one object per line)"
            )
        }
        return items
    }

    private static func item(
        _ bytes: [UInt8],
        _ from: Int,
        _ to: Int,
        maxItemBytes: Int,
        place: @autoclosure () -> String
    ) throws(CLIFailure) -> SessionItem {
        guard to - from <= maxItemBytes else {
            throw CLIFailure.data(
                "\(place()): the item is \(to - from) bytes, over the limit of \(maxItemBytes) (--max-item-bytes)"
            )
        }
        do {
            return try SessionItem(jsonBytes: Array(bytes[from..<to]))
        } catch let error as LedgerError {
            throw CLIFailure.data("\(place()): \(error.message)")
        } catch {
            throw CLIFailure.data("\(place()): \(error)")
        }
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    private static func skipWhitespace(_ bytes: [UInt8], _ index: Int) -> Int {
        var index = index
        while index < bytes.count, isWhitespace(bytes[index]) {
            index += 1
        }
        return index
    }

    private static func trimmed(_ bytes: [UInt8], _ from: Int, _ to: Int) -> (Int, Int) {
        var from = from
        var to = to
        while from < to, isWhitespace(bytes[from]) {
            from += 1
        }
        while to > from, isWhitespace(bytes[to - 1]) {
            to -= 1
        }
        return (from, to)
    }

    private static func line(of offset: Int, in bytes: [UInt8]) -> Int {
        1 + bytes[..<min(offset, bytes.count)].count(where: { $0 == 0x0A })
    }
}
