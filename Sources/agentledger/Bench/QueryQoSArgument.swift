import AgentLedger
import ArgumentParser
import Dispatch

/// The bench's `--query-qos` value: the quality of service of the ledger's queries
/// (``LedgerOptions/queryQoS``), so that one binary measures each side by side.
struct QueryQoSArgument: ExpressibleByArgument, Sendable {
    /// The names the option accepts, in the order of `DispatchQoS`'s classes.
    static let names: [(String, DispatchQoS)] = [
        ("background", .background),
        ("utility", .utility),
        ("default", .default),
        ("user-initiated", .userInitiated),
    ]

    /// The library's value.
    let qos: DispatchQoS
    private let name: String

    /// The library's default.
    init() {
        let qos = LedgerOptions.defaultQueryQoS
        self.qos = qos
        name = Self.names.first { $0.1 == qos }?.0 ?? "default"
    }

    init?(argument: String) {
        guard let match = Self.names.first(where: { $0.0 == argument }) else {
            return nil
        }
        name = match.0
        qos = match.1
    }

    var defaultValueDescription: String { name }

    static var allValueStrings: [String] { names.map(\.0) }
}
