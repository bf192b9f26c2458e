import Foundation

/// Figures of the test process from `/proc/self` (Linux): open descriptors and resident memory.
public enum ReliabilityProcFS {
    /// The targets of this process's open file descriptors, by descriptor (without the one
    /// used to list `/proc/self/fd`).
    public static func descriptors() -> [Int32: String] {
        let directory = "/proc/self/fd"
        var result: [Int32: String] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            guard let descriptor = Int32(name),
                let target = try? FileManager.default.destinationOfSymbolicLink(atPath: directory + "/" + name)
            else {
                continue
            }
            result[descriptor] = target
        }
        return result
    }

    /// The descriptors whose target lies inside the directory `path`: what one store holds
    /// open, whatever else the process (other tests running at the same time) has open.
    public static func descriptors(under path: String) -> [Int32: String] {
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        let prefixes = [path.hasSuffix("/") ? path : path + "/", resolved + "/"]
        return descriptors().filter { _, target in prefixes.contains { target.hasPrefix($0) } }
    }

    /// `VmRSS` of `/proc/self/status` in KiB (0 when unavailable).
    public static func residentKilobytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else {
            return 0
        }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.dropFirst("VmRSS:".count).filter(\.isNumber)) ?? 0
        }
        return 0
    }
}
