/// Why a JSON text was rejected, and where: "unexpected character 'x' at byte 17".
struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The zero-based offset of the offending byte in the text (the text's length at its end).
    let offset: Int
    /// A short reason, without the offset: "unexpected character 'x'".
    let reason: String

    /// The reason followed by the offset.
    var description: String {
        "\(reason) at byte \(offset)"
    }
}
