/// Text for a terminal: the control characters a terminal acts on (moving the cursor, clearing
/// the screen, recolouring the text) written as escapes, for the tables and the messages that
/// show session ids, branch names and item text.
enum TerminalText {
    /// Whether a terminal acts on `scalar`: the C0 controls, DEL, and the C1 controls
    /// (U+0080...U+009F).
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// `text` with its control characters, but those in `kept`, written as JSON writes them
    /// (`\n`, `\t`, `\u001b`); quotes and backslashes stay as they are.
    static func escaped(_ text: String, keeping kept: Set<Unicode.Scalar> = []) -> String {
        func escapes(_ scalar: Unicode.Scalar) -> Bool {
            isControl(scalar) && !kept.contains(scalar)
        }
        guard text.unicodeScalars.contains(where: escapes) else {
            return text
        }
        var out = ""
        for scalar in text.unicodeScalars {
            if escapes(scalar) {
                out += JSONText.escape(control: scalar)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
