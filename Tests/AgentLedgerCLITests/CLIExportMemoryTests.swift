import AgentLedger
import AgentLedgerTestSupport
import Foundation
import Testing

@Suite("CLI export: the output buffer is bounded in bytes, not only in events")
struct CLIExportMemoryTests {
    /// `VmHWM` of `/proc/<pid>/status` in KiB (0 when unavailable).
    private static func peakResidentKilobytes(of pid: Int32) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else {
            return 0
        }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int(line.dropFirst("VmHWM:".count).filter(\.isNumber)) ?? 0
        }
        return 0
    }

    @Test("export of large events into a pipe nobody reads holds about a megabyte, not every event")
    func largeEventsIntoABlockedPipe() async throws {
        let store = try CLIStore()
        // 120 events of one 512 KiB item: 60 MiB of JSON Lines, fewer than the 1,000 events
        // after which export flushed, so before the fix it held all of them before writing any.
        let events = 120
        let content = String(repeating: "x", count: 512 << 10)
        let item = try SessionItem(json: #"{"role":"user","content":""# + content + #""}"#)
        let ledger = try await Ledger.open(at: store.path, options: LedgerOptions(durability: .none))
        for _ in 0..<events {
            try await ledger.session("big").addItems([item])
        }
        try await ledger.close()

        let process = Process()
        process.executableURL = URL(fileURLWithPath: store.runner.executablePath)
        process.arguments = ["export", "--store", store.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
            }
            process.waitUntilExit()
        }
        // Nobody reads: the export blocks once the pipe is full, holding what it buffered.
        let reader = output.fileHandleForReading.fileDescriptor
        var pending: Int32 = 0
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning, Date() < deadline {
            _ = ioctl(reader, UInt(FIONREAD), &pending)
            if pending >= 65_536 {
                break
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(pending >= 65_536, "the export wrote nothing into the pipe")
        // Let it settle in its blocked write(2), then read its peak.
        try await Task.sleep(for: .milliseconds(300))
        let peak = Self.peakResidentKilobytes(of: process.processIdentifier)
        #expect(peak > 0)
        // The 60 MiB of lines must not all be in memory: a baseline of about 30 MiB plus a
        // megabyte of buffer and an event or two.
        #expect(peak < 60 << 10, "export's peak resident memory is \(peak) KiB")
    }
}
