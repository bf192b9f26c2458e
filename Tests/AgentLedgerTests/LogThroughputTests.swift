import AgentLedgerTestSupport
import Testing

@testable import AgentLedger

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A rough measurement of the log's append path, off by default (it measures, it does not
/// check much). Run it in release mode:
/// `AGENTLEDGER_LOG_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter LogThroughputTests`.
@Suite("Log throughput", .enabled(if: getenv("AGENTLEDGER_LOG_BENCH") != nil))
struct LogThroughputTests {
    private func seconds(_ body: () throws -> Void) rethrows -> Double {
        var start = timespec()
        clock_gettime(CLOCK_MONOTONIC, &start)
        try body()
        var end = timespec()
        clock_gettime(CLOCK_MONOTONIC, &end)
        return Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) / 1e9
    }

    @Test("the parts of an append: compression, checksum, hash")
    func parts() throws {
        var random = LogTestRandom(seed: 78)
        let batch = random.text(count: 3000)
        let encoder = try FrameEncoder(compressionLevel: 3, dictionary: true)
        let rounds = 20000
        let encode = try seconds {
            for sequence in 0..<rounds {
                _ = try batch.withUnsafeBytes {
                    try encoder.encode(
                        firstSequence: UInt64(sequence + 1),
                        eventCount: 15,
                        payload: $0,
                        previousHash: .zero
                    )
                }
            }
        }
        let crc = seconds {
            for _ in 0..<rounds {
                _ = batch.withUnsafeBytes { CRC32C.checksum($0) }
            }
        }
        let hash = seconds {
            for _ in 0..<rounds {
                _ = batch.withUnsafeBytes { FrameHash(hashing: $0) }
            }
        }
        let frameSize = encoder.encodedFrame.count
        print(
            "encode 3000 bytes (frame \(frameSize) bytes): \(Int(encode / Double(rounds) * 1e9)) ns; "
                + "CRC-32C of 3000 bytes: \(Int(crc / Double(rounds) * 1e9)) ns; "
                + "SHA-256 of 3000 bytes: \(Int(hash / Double(rounds) * 1e9)) ns"
        )
    }

    @Test("group-committed appends of small events, with and without fdatasync per batch")
    func appends() throws {
        var random = LogTestRandom(seed: 77)
        let eventsPerBatch = 15
        let batch = random.text(count: eventsPerBatch * 200)
        for syncEachBatch in [false, true] {
            let directory = try TemporaryDirectory()
            let log = try EventLog.openForWriting(directory: directory.path)
            let batches = syncEachBatch ? 3000 : 20000
            let elapsed = try seconds {
                for _ in 0..<batches {
                    try log.append(firstSequence: log.lastSequence + 1, eventCount: eventsPerBatch, payload: batch)
                    if syncEachBatch {
                        try log.sync()
                    }
                }
                try log.sync()
            }
            log.close()
            let events = Double(batches * eventsPerBatch)
            print(
                "log append, fdatasync per batch: \(syncEachBatch): \(Int(events / elapsed)) events/s, "
                    + "\(Int(Double(batches) / elapsed)) batches/s, \(Int(elapsed / Double(batches) * 1e9)) ns/batch"
            )
            let readElapsed = try seconds {
                let frames = try LogTestHelpers.readAll(directory.path)
                #expect(frames.count == batches)
            }
            print("log read back: \(Int(events / readElapsed)) events/s")
            let verifyElapsed = seconds {
                #expect(LogReader.verify(directory: directory.path).isIntact)
            }
            print("log verify: \(Int(events / verifyElapsed)) events/s")
            let reopenElapsed = try seconds {
                try EventLog.openForWriting(directory: directory.path).close()
            }
            print("log reopen (recovery): \(Int(reopenElapsed * 1000)) ms")
        }
    }
}
