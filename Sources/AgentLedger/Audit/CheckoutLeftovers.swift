import Foundation

/// The files a checkout may create in its destination, and which of them were there before it
/// started, so that a failed checkout removes only what it created.
struct CheckoutLeftovers {
    /// Paths inside a store directory that a checkout creates.
    static let names =
        ["log", "LOCK"]
        + ReadModelBuilder.databaseFileSuffixes.map { ReadModel.fileName + $0 }
        + ReadModelBuilder.databaseFileSuffixes.map { ReadModel.fileName + ".rebuild" + $0 }

    /// Whether the directory itself existed.
    let directoryExisted: Bool
    /// The entries of ``names`` that existed.
    let existed: Set<String>

    /// What is at `directory` now.
    static func existing(at directory: String) -> CheckoutLeftovers {
        let manager = FileManager.default
        return CheckoutLeftovers(
            directoryExisted: manager.fileExists(atPath: directory),
            existed: Set(names.filter { manager.fileExists(atPath: directory + "/" + $0) })
        )
    }

    /// Removes the entries of ``names`` that did not exist before, and the directory when the
    /// checkout created it and left it empty.
    func removeCreated(at directory: String) {
        let manager = FileManager.default
        for name in Self.names where !existed.contains(name) {
            try? manager.removeItem(atPath: directory + "/" + name)
        }
        if !directoryExisted, (try? manager.contentsOfDirectory(atPath: directory))?.isEmpty == true {
            try? manager.removeItem(atPath: directory)
        }
    }
}
