import ArgumentParser

/// `agentledger branch create|switch|delete|list`.
struct BranchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "branch",
        abstract: "Create, switch, delete and list a session's branches.",
        discussion: """
            Every session starts on 'main'. Errors (an unknown branch or turn, a name used before, \
            deleting 'main' or the current branch without --force) exit 65 with the message on \
            standard error.
            """,
        subcommands: [
            BranchCreateCommand.self,
            BranchSwitchCommand.self,
            BranchDeleteCommand.self,
            BranchListCommand.self,
        ]
    )
}
