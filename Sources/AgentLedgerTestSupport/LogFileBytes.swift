import Foundation

/// Small file helpers for log tests: read, write, damage and cut files the way a crash or a bad
/// disk would, and copy fixtures.
public enum LogFileBytes {
    /// The whole content of the file at `path`.
    public static func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path])
        }
        return [UInt8](data)
    }

    /// Replaces the content of the file at `path` (creating it when missing).
    public static func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// Appends `bytes` to the file at `path`.
    public static func append(_ bytes: [UInt8], to path: String) throws {
        try write(read(path) + bytes, to: path)
    }

    /// Cuts the file at `path` to its first `size` bytes.
    public static func truncate(_ path: String, to size: Int) throws {
        let bytes = try read(path)
        precondition(size <= bytes.count, "truncate cannot grow a file")
        try write(Array(bytes.prefix(size)), to: path)
    }

    /// Flips bit `bit` (0...7) of the byte at `offset` of the file at `path`.
    public static func flipBit(_ path: String, at offset: Int, bit: Int = 0) throws {
        var bytes = try read(path)
        bytes[offset] ^= UInt8(1) << UInt8(bit)
        try write(bytes, to: path)
    }

    /// The size of the file at `path` in bytes.
    public static func size(_ path: String) throws -> Int {
        try read(path).count
    }

    /// The sorted names of the entries of the directory at `path`.
    public static func list(_ path: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).sorted()
    }

    /// Copies the directory at `source` (recursively) to `destination`, which must not exist.
    public static func copyDirectory(_ source: String, to destination: String) throws {
        try FileManager.default.copyItem(atPath: source, toPath: destination)
    }

    /// Removes the file at `path`.
    public static func remove(_ path: String) throws {
        try FileManager.default.removeItem(atPath: path)
    }
}
