import Foundation

/// Finds the executables that the package builds next to the test bundle.
public enum ReliabilityExecutables {
    /// Why an executable was not found.
    public struct NotFound: Error, CustomStringConvertible {
        /// Where it was looked for.
        public let description: String
    }

    /// The path of the `ledger-torture` executable: `$LEDGER_TORTURE` when set, else the file of
    /// that name in the products directory that holds the running test bundle (found from the
    /// test process's own path, walking up a few directories).
    public static func ledgerTorture() throws -> String {
        try find("ledger-torture", environmentVariable: "LEDGER_TORTURE")
    }

    /// The path of the executable `name` built by this package (see ``ledgerTorture()``).
    public static func find(_ name: String, environmentVariable: String? = nil) throws -> String {
        let files = FileManager.default
        if let variable = environmentVariable, let path = ProcessInfo.processInfo.environment[variable] {
            guard files.isExecutableFile(atPath: path) else {
                throw NotFound(description: "$\(variable) is \(path), which is not an executable file")
            }
            return path
        }
        var starts: [String] = []
        if let first = CommandLine.arguments.first {
            starts.append(URL(fileURLWithPath: first).resolvingSymlinksInPath().path)
        }
        if let path = Bundle.main.executablePath {
            starts.append(path)
        }
        starts.append(Bundle.main.bundlePath)
        var tried: [String] = []
        for start in starts {
            var directory = URL(fileURLWithPath: start).deletingLastPathComponent()
            for _ in 0..<4 {
                let candidate = directory.appendingPathComponent(name).path
                tried.append(candidate)
                if files.isExecutableFile(atPath: candidate) {
                    return candidate
                }
                directory = directory.deletingLastPathComponent()
            }
        }
        throw NotFound(
            description: "\(name) was not found next to the test bundle (tried \(tried.joined(separator: ", "))); "
                + "build it with `swift build --build-tests` or set $\(environmentVariable ?? "the variable")"
        )
    }
}
