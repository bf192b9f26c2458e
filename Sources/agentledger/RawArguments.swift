import ArgumentParser

/// The command line as the process received it: bytes, before Swift turns them into strings.
///
/// `CommandLine.arguments` repairs bytes that are not valid UTF-8 (each bad sequence becomes
/// U+FFFD), so two different session ids such as `a\xFFb` and `a\xFEb` would both become
/// `a\u{FFFD}b` and silently name the same session. The command refuses such an argument
/// instead, before the parser sees it.
enum RawArguments {
    /// The position in `argv` (the program name is 0) of the first argument that is not valid
    /// UTF-8, or `nil` when every argument is.
    static func firstNonUTF8Position() -> Int? {
        for position in 1..<max(1, Int(CommandLine.argc)) {
            guard let argument = CommandLine.unsafeArgv[position] else {
                continue
            }
            if String(validatingCString: argument) == nil {
                return position
            }
        }
        return nil
    }

    /// Exits 64 with a message naming the first argument that is not valid UTF-8, if any.
    static func refuseNonUTF8() {
        if let position = firstNonUTF8Position() {
            OutputBuffer.printError(
                "argument \(position) is not valid UTF-8 (session ids, branch names, paths and other text must be UTF-8)"
            )
            AgentLedgerCommand.exit(withError: ExitCode(ExitCodes.usage))
        }
    }
}
