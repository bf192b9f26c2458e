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
        return "Options go after the subcommand: agentledger " + reordered.map(ShellWord.quoted).joined(separator: " ")
    }
}
