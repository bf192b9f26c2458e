/// A table for people: a header row and rows, columns left-aligned and separated by two spaces,
/// no trailing spaces. Cells are shown with ``display(_:)`` so that a newline or another control
/// character in a session id or a preview cannot break the layout.
struct TextTable {
    private let headers: [String]
    private var rows: [[String]] = []

    init(_ headers: [String]) {
        self.headers = headers
    }

    /// Adds a row; cells are escaped with ``display(_:)``.
    mutating func add(_ cells: [String]) {
        precondition(cells.count == headers.count, "a row must have one cell per column")
        rows.append(cells.map(Self.display))
    }

    /// The table's lines.
    var lines: [String] {
        let all = [headers] + rows
        var widths = [Int](repeating: 0, count: headers.count)
        for row in all {
            for (column, cell) in row.enumerated() {
                widths[column] = max(widths[column], cell.count)
            }
        }
        return all.map { row in
            var line = ""
            for (column, cell) in row.enumerated() {
                line += cell
                if column < row.count - 1 {
                    line += String(repeating: " ", count: widths[column] - cell.count + 2)
                }
            }
            while line.last == " " {
                line.removeLast()
            }
            return line
        }
    }

    /// `text` on one line: control characters written as JSON escapes (`\n`, `\t`, `\u001b`),
    /// the C1 controls too (see ``TerminalText``).
    static func display(_ text: String) -> String {
        TerminalText.escaped(text)
    }

    /// `text` cut to `limit` characters with "..." when longer, on one line (see ``display(_:)``).
    static func preview(_ text: String, limit: Int = 60) -> String {
        let line = display(text)
        return line.count > limit ? String(line.prefix(limit)) + "..." : line
    }
}
