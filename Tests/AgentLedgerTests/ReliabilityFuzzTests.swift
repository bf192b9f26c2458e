import AgentLedgerTestSupport
import Foundation
import Testing

/// A seeded random fuzzer (not libFuzzer: see RELIABILITY.md) for the decoders a damaged or
/// hostile log reaches: the event decoder, the frame and segment header decoders, and, over an
/// in-memory file system, recovery, the reader and verification of whole logs whose frames were
/// mutated with their checksums recomputed, so that mutations get past the CRCs into zstd and
/// the event decoder.
///
/// The inputs run in child processes (``ReliabilityFuzzHarness``), so a crash is reported with
/// its input and the fuzzing goes on. The number of inputs scales with `AGENTLEDGER_FUZZ_SCALE`
/// (default 1; `make stress` uses 10).
@Suite("Reliability: fuzzing the frame and event decoders", .timeLimit(.minutes(30)))
struct ReliabilityFuzzTests {
    static let scale = ReliabilityHelpers.environmentInt("AGENTLEDGER_FUZZ_SCALE", default: 1)

    /// Crashes the fuzzer found that are reported to the lead and not fixed yet, by a piece of
    /// their crash message (such as `"Events/BinaryReader.swift"`): recorded as known issues, so
    /// that `make test` stays green until the fix lands. While they happen, each fuzz test stops
    /// after ``crashBudget`` crashes. Empty: the two crashes found so far are fixed (c4e6352).
    static let knownCrashes: [(signature: String, bug: Comment)] = []

    /// Crashes after which a fuzz test stops (each costs a new worker process).
    static let crashBudget = 8

    private func report(_ outcome: ReliabilityFuzzHarness.Outcome, _ name: String) {
        print(
            "RELIABILITY fuzz (\(name), seeded generator, \(outcome.workers) worker processes): \(outcome.tally); "
                + "crashes: \(outcome.crashes.count)"
        )
        for crash in outcome.crashes {
            print("RELIABILITY fuzz (\(name)) crash: \(crash)")
            if let known = Self.knownCrashes.first(where: { crash.message.contains($0.signature) }) {
                withKnownIssue(known.bug) {
                    Issue.record("\(name) \(crash)")
                }
            } else {
                Issue.record("\(name) \(crash)")
            }
        }
        for failure in outcome.failures {
            Issue.record("\(name) worker: \(failure)")
        }
    }

    @Test("the event decoder: random bytes and mutated valid payloads give events or corruptLog/unsupportedVersion")
    func eventDecoder() async throws {
        let outcome = try await ReliabilityFuzzHarness.run(
            target: "events",
            count: 40_000 * Self.scale,
            maxCrashes: Self.crashBudget
        )
        report(outcome, "event decoder")
        if outcome.crashes.isEmpty {
            #expect(outcome.tally.inputs == 40_000 * Self.scale)
        }
    }

    @Test(
        "the frame and segment header decoders: mutated headers with recomputed checksums never pass an impossible field"
    )
    func headerDecoders() async throws {
        let outcome = try await ReliabilityFuzzHarness.run(
            target: "headers",
            count: 30_000 * Self.scale,
            maxCrashes: Self.crashBudget
        )
        report(outcome, "header decoders")
        #expect(outcome.tally.accepted > 0)
    }

    @Test(
        "whole logs with mutated frames (checksums recomputed): recovery, the reader and verify never crash and agree on intact logs"
    )
    func damagedLogs() async throws {
        let directory = try TemporaryDirectory(prefix: "reliability-fuzz")
        defer { directory.remove() }
        _ = try await ReliabilityFixture.build(at: directory.path + "/store", calls: 40, segmentSizeBytes: 4096)
        let outcome = try await ReliabilityFuzzHarness.run(
            target: "logs",
            count: 600 * Self.scale,
            environment: ["AGENTLEDGER_FUZZ_STORE": directory.path + "/store"],
            maxCrashes: Self.crashBudget
        )
        report(outcome, "whole logs")
        if outcome.crashes.isEmpty {
            #expect(outcome.tally.inputs == 600 * Self.scale)
            #expect(outcome.tally.refused["verify-corrupt", default: 0] > 0)
        }
    }
}
