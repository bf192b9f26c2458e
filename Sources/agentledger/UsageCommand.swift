import ArgumentParser

/// `agentledger usage record|show`.
struct UsageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage",
        abstract: "Record and show token usage per turn.",
        discussion: "Errors (no user turn yet, an unknown branch, invalid details JSON) exit 65.",
        subcommands: [UsageRecordCommand.self, UsageShowCommand.self]
    )
}
