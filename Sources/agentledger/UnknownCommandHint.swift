import ArgumentParser

/// A hint for a mistyped subcommand (`agentledger itmes s`, `agentledger branch lst s`), which
/// the parser reports only as unexpected arguments: the commands that exist at that place.
enum UnknownCommandHint {
    /// The hint for `arguments` (without the program's name), or nil when every word in the
    /// place of a subcommand names one that exists.
    static func hint(for arguments: [String]) -> String? {
        var command: any ParsableCommand.Type = AgentLedgerCommand.self
        var path = ["agentledger"]
        for argument in arguments {
            let subcommands = command.configuration.subcommands
            guard !subcommands.isEmpty, !argument.hasPrefix("-") else {
                return nil
            }
            guard let next = subcommands.first(where: { $0._commandName == argument }) else {
                // `agentledger help items` is the parser's own.
                if path.count == 1, argument == "help" {
                    return nil
                }
                let names = subcommands.map { $0._commandName }
                return "'\(argument)' is not a command of \(path.joined(separator: " ")); the commands are: "
                    + names.joined(separator: ", ")
            }
            command = next
            path.append(argument)
        }
        return nil
    }
}
