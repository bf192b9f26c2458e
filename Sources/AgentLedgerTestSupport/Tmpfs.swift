import Foundation

/// A tmpfs of a fixed size mounted for one test: a real file system that fills up (ENOSPC,
/// SQLite's "database or disk is full") where a fault injected in the library would not reach,
/// such as SQLite's own writes. Mounting needs root, as the tests have in CI.
///
/// ```swift
/// try await Tmpfs.withMount(at: directory + "/disk", size: "64k") { disk in
///     // ... fill `disk` ...
///     #expect(try await Tmpfs.resize(disk, to: "16m").ok)
/// }
/// ```
public enum Tmpfs {
    /// A tmpfs that could not be mounted, with `mount`'s error text.
    public struct MountFailure: Error, CustomStringConvertible {
        /// What `mount` printed.
        public let message: String

        /// `cannot mount a tmpfs here: ` and `mount`'s message.
        public var description: String { "cannot mount a tmpfs here: \(message)" }
    }

    /// Mounts a tmpfs of `size` (`mount`'s syntax: `64k`, `2m`) on the existing directory
    /// `mountPoint`, runs `body` with it, and unmounts it whether `body` throws or not.
    ///
    /// - Throws: ``MountFailure`` when the mount fails (not root, no tmpfs); what `body` throws;
    ///   a ``MountFailure`` too when the unmount fails after `body` succeeded.
    public static func withMount<T>(
        at mountPoint: String,
        size: String,
        _ body: (String) async throws -> T
    ) async throws -> T {
        let mounted = try await run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", mountPoint])
        guard mounted.ok else {
            throw MountFailure(message: mounted.error.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let result: T
        do {
            result = try await body(mountPoint)
        } catch {
            _ = try? await run("/bin/umount", [mountPoint])
            throw error
        }
        let unmounted = try await run("/bin/umount", [mountPoint])
        guard unmounted.ok else {
            throw MountFailure(message: "umount \(mountPoint): \(unmounted.error)")
        }
        return result
    }

    /// Grows or shrinks the tmpfs at `mountPoint` to `size` (a remount); whether that
    /// succeeded, and `mount`'s error text.
    public static func resize(_ mountPoint: String, to size: String) async throws -> (ok: Bool, error: String) {
        try await run("/bin/mount", ["-o", "remount,size=\(size)", mountPoint])
    }

    /// Runs `path` with `arguments`; whether it exited 0, and its standard error.
    private static func run(_ path: String, _ arguments: [String]) async throws -> (ok: Bool, error: String) {
        let child = try ReliabilityChildProcess(executable: path, arguments: arguments)
        let termination = await child.waitForExit(timeout: .seconds(30))
        return (termination == .exited(0), child.standardError)
    }
}
