import ArgumentParser

/// Checks of argument values that the parser cannot express, shared by the commands'
/// `validate()`; a failure exits 64 with the parser's usage message.
enum ArgumentChecks {
    /// The most bytes a session id may have, in UTF-8 (the library's limit).
    static let maxSessionIDBytes = 1024

    /// A session id is a non-empty string of at most ``maxSessionIDBytes`` UTF-8 bytes.
    static func session(_ session: String) throws {
        if session.isEmpty {
            throw ValidationError("the session id is empty")
        }
        let count = session.utf8.count
        if count > maxSessionIDBytes {
            throw ValidationError("the session id is \(count) bytes, over the limit of \(maxSessionIDBytes)")
        }
    }

    /// A turn number (`--turn`, `--from-turn`): turns are numbered from 1, so a smaller one is a
    /// bad value, not an unknown turn (which exits 65).
    static func turn(_ value: Int?, _ name: String) throws {
        if let value, value < 1 {
            throw ValidationError("\(name) must be 1 or more, not \(value)")
        }
    }

    /// A count that must not be negative (`--limit`, token counts).
    static func notNegative(_ value: Int?, _ name: String) throws {
        if let value, value < 0 {
            throw ValidationError("\(name) must be 0 or more, not \(value)")
        }
    }
}
