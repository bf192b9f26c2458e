import Foundation

/// Figures of this process from `/proc/self`: open descriptors and resident memory.
enum ProcessFigures {
    /// The targets of this process's open file descriptors (`/proc/self/fd`), by descriptor,
    /// without the one used to list the directory.
    static func descriptors() -> [Int32: String] {
        let directory = "/proc/self/fd"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var result: [Int32: String] = [:]
        for name in names {
            guard let descriptor = Int32(name),
                let target = try? FileManager.default.destinationOfSymbolicLink(atPath: directory + "/" + name)
            else {
                continue  // the listing's own descriptor, closed by now
            }
            result[descriptor] = target
        }
        return result
    }

    /// The number of open file descriptors.
    static func descriptorCount() -> Int {
        descriptors().count
    }

    /// `VmRSS` of `/proc/self/status`, in KiB (0 when unavailable).
    static func residentKilobytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else {
            return 0
        }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let digits = line.dropFirst("VmRSS:".count).filter(\.isNumber)
            return Int(digits) ?? 0
        }
        return 0
    }
}
