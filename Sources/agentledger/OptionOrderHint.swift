import ArgumentParser

/// A hint for options given before the subcommand (`agentledger --store DIR items s`), which
/// the parser reports only as an unknown option: the same command with them moved after it.
enum OptionOrderHint {
    /// The hint for `arguments` (without the program's name), or nil when they do not start
    /// with an option followed later by a subcommand.
    static func hint(for arguments: [String]) -> String? {
        guard let first = arguments.first, first.hasPrefix("-"), !["-h", "--help", "--version"].contains(first)
        else {
            return nil
        }
        let names = Set(AgentLedgerCommand.configuration.subcommands.map { $0._commandName })
        guard let index = arguments.firstIndex(where: { names.contains($0) }) else {
            return nil
        }
        let reordered = arguments[index...] + arguments[..<index]
        return "Options go after the subcommand: agentledger " + reordered.map(quoted).joined(separator: " ")
    }

    /// `argument` as a shell would need it: in single quotes unless it is made of characters
    /// that need none.
    private static func quoted(_ argument: String) -> String {
        let plain =
            !argument.isEmpty
            && argument.unicodeScalars.allSatisfy { scalar in
                scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
                    || "-_./:=@%+,".unicodeScalars.contains(scalar)
            }
        return plain ? argument : "'" + argument.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }
}
