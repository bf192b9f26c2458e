/// The command line of ledger-torture: a mode, then `--name value` pairs.
struct TortureArguments {
    /// Why the command line cannot be used.
    struct UsageError: Error, CustomStringConvertible {
        let description: String
    }

    /// The first argument: what to do.
    let mode: String
    private var values: [String: String] = [:]

    init(_ arguments: [String]) {
        mode = arguments.first ?? ""
        var index = 1
        while index < arguments.count {
            let argument = arguments[index]
            if argument.hasPrefix("--"), index + 1 < arguments.count {
                values[String(argument.dropFirst(2))] = arguments[index + 1]
                index += 2
            } else {
                values[argument] = ""
                index += 1
            }
        }
    }

    /// The value of `--name`; throws when it is missing.
    func string(_ name: String) throws(UsageError) -> String {
        guard let value = values[name] else {
            throw UsageError(description: "missing --\(name)")
        }
        return value
    }

    /// The value of `--name` as an integer, or `defaultValue` when it is missing.
    func int(_ name: String, default defaultValue: Int) throws(UsageError) -> Int {
        guard let text = values[name] else {
            return defaultValue
        }
        guard let value = Int(text) else {
            throw UsageError(description: "--\(name) wants an integer, not '\(text)'")
        }
        return value
    }
}
