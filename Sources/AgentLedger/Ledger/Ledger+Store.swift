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
        let files = FileManager.default
        var logBytes: Int64 = 0
        var segments = 0
        var last: (name: String, bytes: Int64)?
        for name in (try? files.contentsOfDirectory(atPath: directory + "/log")) ?? [] where name.hasSuffix(".seg") {
            segments += 1
            let bytes = Self.fileSize(directory + "/log/" + name)
            logBytes += bytes
            if name > last?.name ?? "" {
                last = (name, bytes)
            }
        }
        var reserved: Int64 = 0
        if let last, let frames = try? LogReader.open(directory: directory).segments.last?.walk?.index.endOffset {
            reserved = max(0, last.bytes - frames)
        }
        let model = directory + "/" + ReadModel.fileName
        let modelBytes = ["", "-wal", "-shm"].reduce(Int64(0)) { $0 + Self.fileSize(model + $1) }
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
