import Foundation

/// The library's messages name its options (`(maxItemBytes)`); this tool's user sets them as
/// command-line options, so its messages name those instead.
enum LibraryOptionNames {
    /// The library options a message may quote, with the command-line option for each.
    static let renames = [("(maxItemBytes)", "(--max-item-bytes)")]

    /// `message` with each library option it quotes named as this tool's option.
    static func forCommandLine(_ message: String) -> String {
        renames.reduce(message) { $0.replacingOccurrences(of: $1.0, with: $1.1) }
    }
}
