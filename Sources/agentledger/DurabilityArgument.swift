import AgentLedger
import ArgumentParser

/// The `--durability` value: `fsync`, `interval:MS` or `none`.
struct DurabilityArgument: ExpressibleByArgument, Sendable {
    /// The library's durability.
    let durability: Durability

    init(_ durability: Durability) {
        self.durability = durability
    }

    init?(argument: String) {
        switch argument {
        case "fsync":
            durability = .fsync
        case "none":
            durability = .none
        default:
            guard argument.hasPrefix("interval:"), let milliseconds = Int(argument.dropFirst("interval:".count)),
                milliseconds > 0
            else {
                return nil
            }
            durability = .interval(milliseconds: milliseconds)
        }
    }

    var defaultValueDescription: String {
        switch durability {
        case .fsync: "fsync"
        case .interval(let milliseconds): "interval:\(milliseconds)"
        case .none: "none"
        }
    }

    static var allValueStrings: [String] { ["fsync", "interval:MS", "none"] }
}
