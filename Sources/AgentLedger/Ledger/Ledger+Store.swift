import Foundation

extension Ledger {
    /// Every session of the store with its item count and last activity, most recent first.
    public func sessions() async throws -> [SessionSummary] {
        try await read { db in try ReadModel.sessions(db) }
    }

    /// Figures about the store: events, sessions, items, and bytes on disk.
    public func stats() async throws -> LedgerStats {
        let counts = try await read { db in try ReadModel.counts(db) }
        let directory = directory
        // Walking the last segment's frames is blocking file work: not on the cooperative pool.
        let (segments, logBytes, reserved, modelBytes) = try await BlockingWork.run(name: "agentledger-stats") {
            var logBytes: Int64 = 0
            var segments = 0
            // The zeros after the last frame, as far as a reader's snapshot of the last segment
            // tells (while a writer appends, frames written after it count as reserved).
            var reserved: Int64 = 0
            if let last = try? LogReader.open(directory: directory).segments.last,
                let frames = last.walk?.index.endOffset
            {
                reserved = max(0, Self.fileSize(directory + "/log/" + last.name) - frames)
            }
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory + "/log")) ?? []
            for name in names where name.hasSuffix(".seg") {
                segments += 1
                logBytes += Self.fileSize(directory + "/log/" + name)
            }
            let model = directory + "/" + ReadModel.fileName
            let modelBytes = ["", "-wal", "-shm"].reduce(Int64(0)) { $0 + Self.fileSize(model + $1) }
            return (segments, logBytes, reserved, modelBytes)
        }
        return LedgerStats(
            headSequence: counts.head,
            sessionCount: counts.sessions,
            liveItemCount: counts.live,
            totalItemRows: counts.rows,
            segmentCount: segments,
            logBytes: logBytes - reserved,
            logReservedBytes: reserved,
            readModelBytes: modelBytes
        )
    }

    static func fileSize(_ path: String) -> Int64 {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        return (attributes?[.size] as? NSNumber)?.int64Value ?? 0
    }
}
