import AgentLedger
import Foundation

extension BenchWorkloads {
    /// The log issue's benchmark: append throughput with 1, 8 and 30 concurrent appenders in
    /// each durability mode, events per group commit (frames, so fsyncs in fsync mode), and
    /// bytes on disk against raw item JSON. Items of 256 bytes.
    static func appenders(_ settings: Settings) async throws -> BenchResult {
        var result = BenchResult()
        let modes: [(String, Durability)] = [
            ("fsync", .fsync), ("interval5ms", .interval(milliseconds: 5)), ("none", .none),
        ]
        let share = nanoseconds(settings.duration) / 9
        let padding = String(
            repeating: "x",
            count: 256 - #"{"role":"user","content":"appender 00 message 000000 "}"#.utf8.count
        )
        for writers in [1, 8, 30] {
            for (name, durability) in modes {
                let directory = settings.directory + "-\(writers)-\(name)"
                defer { try? FileManager.default.removeItem(atPath: directory) }
                let ledger = try await Ledger.open(at: directory, options: LedgerOptions(durability: durability))
                let start = now()
                let deadline = start + share
                let (events, rawBytes) = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
                    for writer in 0..<writers {
                        group.addTask {
                            let session = ledger.session("appender-\(writer % 3)")
                            var count = 0
                            var bytes = 0
                            while now() < deadline {
                                let text = String(format: "appender %02d message %06d ", writer, count) + padding
                                let item = try SessionItem(json: #"{"role":"user","content":"\#(text)"}"#)
                                try await session.addItems([item])
                                count += 1
                                bytes += item.jsonBytes.count
                            }
                            return (count, bytes)
                        }
                    }
                    var total = (0, 0)
                    for try await (count, bytes) in group {
                        total.0 += count
                        total.1 += bytes
                    }
                    return total
                }
                let elapsed = Double(now() - start) / 1e9
                try await ledger.close()
                let verification = try await Ledger.verifyLog(at: directory)
                let key = "w\(writers)_\(name)"
                result.set("\(key)_events_per_s", Double(events) / elapsed)
                result.set("\(key)_events_per_commit", Double(events) / Double(max(verification.frameCount, 1)))
                result.set("\(key)_log_bytes_per_raw_byte", Double(verification.byteCount) / Double(max(rawBytes, 1)))
            }
        }
        return result
    }
}
