import AgentLedger
import ArgumentParser
import Foundation

/// `agentledger verify`: checks every frame's checksum, sequence continuity, segment headers,
/// the hash chain and the decoding of its events, and prints the head an auditor can keep
/// elsewhere.
struct VerifyCommand: AsyncParsableCommand, StoreCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the log's checksums, sequence continuity and hash chain; print the head.",
        discussion: """
            Prints `head SEQ:HASH` and exits 0 when the log is intact, or names each problem's \
            segment, byte offset and sequence number and exits 1. Keep the head line somewhere \
            else: `--expect-head SEQ:HASH` later proves the log still extends it, i.e. nothing up \
            to it was rewritten. The log is only read: this works while another process writes.
            """
    )

    @OptionGroup var store: StoreOptions

    @Flag(
        help:
            "Also check the read model with SQLite's integrity_check, rebuild it into a temporary file and compare it with the live one."
    )
    var deep = false

    @Option(help: ArgumentHelp("A head recorded earlier, as printed by verify.", valueName: "seq:hash"))
    var expectHead: String?

    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() async throws {
        let directory = store.directory
        try StoreOptions.requireLog(in: directory, reading: true)
        var expected: LogHead?
        if let expectHead {
            let parts = expectHead.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let sequence = UInt64(parts[0]),
                let head = LogHead(sequence: sequence, hashHex: String(parts[1]))
            else {
                throw CLIFailure.usage("--expect-head takes SEQ:HASH (64 hexadecimal digits), as verify prints it")
            }
            expected = head
        }
        let result = try await Ledger.verifyLog(at: directory, expectedHead: expected)
        var differences: [String] = []
        // A damaged log does not open: the read model is compared only with an intact one, and
        // the damage is the verification's failure (exit 1), as without --deep.
        let compares = deep && result.isIntact
        if compares {
            differences = try await store.withLedger(.read) { ledger in try await ledger.verifyReadModel() }
        }
        let intact = result.isIntact && result.expectedHeadMatched != false && differences.isEmpty
        var output = OutputBuffer()
        if json {
            var object = JSONText()
            object.bool("ok", intact)
            object.number("head_seq", result.lastSequence)
            object.string("head_hash", result.headHashHex)
            object.number("segments", result.segmentCount)
            object.number("frames", result.frameCount)
            object.number("events", result.eventCount)
            object.number("bytes", result.byteCount)
            object.number("event_bytes", result.payloadByteCount)
            object.number("reserved_bytes", result.unusedByteCount)
            if let matched = result.expectedHeadMatched {
                object.bool("expected_head_matched", matched)
            }
            object.raw("problems", JSONText.array(result.problems.map { JSONText.string($0.description) }))
            object.raw("read_model_differences", JSONText.array(differences.map { JSONText.string($0) }))
            if deep {
                object.bool("read_model_compared", compares)
            }
            output.line(object.object)
        } else {
            output.line(
                counted(result.segmentCount, "segment") + ", " + counted(result.frameCount, "frame") + ", "
                    + counted(result.eventCount, "event") + ", "
                    + "\(result.byteCount) bytes (the events take \(result.payloadByteCount) bytes uncompressed)"
                    + (result.unusedByteCount > 0
                        ? ", \(result.unusedByteCount) bytes reserved for the next frames" : "")
            )
            for problem in result.problems {
                output.line("problem: \(problem)")
            }
            if let matched = result.expectedHeadMatched, let expected {
                output.line("expected head \(expectHead ?? "") " + Self.expectedHeadOutcome(matched, expected, result))
            }
            if deep && !compares {
                output.line("read model: not compared, the log is damaged")
            } else if deep {
                output.line(
                    differences.isEmpty
                        ? "read model: identical to a fresh rebuild from the log"
                        : "read model differs from a fresh rebuild:"
                )
                for difference in differences {
                    output.line("  \(difference)")
                }
            }
            output.line("head \(result.lastSequence):\(result.headHashHex)")
            output.line(intact ? "ok" : "FAILED")
        }
        try output.flush()
        if !intact {
            throw ExitCode(ExitCodes.verificationFailed)
        }
    }

    /// What became of the expected head: found, or not found because the log ends before it
    /// (events lost, or the head of a longer or another log), because no log has it (sequence 0
    /// with a hash other than zeros), or because the history up to it differs.
    private static func expectedHeadOutcome(_ matched: Bool, _ expected: LogHead, _ result: LogVerification) -> String {
        if matched {
            return "found: the log extends it"
        }
        if expected.sequence > result.lastSequence {
            return "NOT found: the log ends at sequence \(result.lastSequence), before it"
        }
        if expected.sequence == 0 {
            return "NOT found: no log has that head (the empty log's hash is all zeros)"
        }
        return "NOT found: history up to it was changed"
    }
}
