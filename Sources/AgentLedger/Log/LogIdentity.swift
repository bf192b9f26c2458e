/// What tells one log from another: the hash of its first frame, to which every later frame is
/// chained. A read model records the identity of the log it was built from, so that a log put
/// in its place (another store's, or a different history of the same length) is not taken for
/// the one it applied.
enum LogIdentity {
    /// The hex SHA-256 of the first frame of the log of the store at `directory`; nil when the
    /// log holds no frame yet, or its first frame cannot be read whole (damage there is
    /// reported by whatever reads that frame, not here).
    static func read(directory: String, fileSystem: any LogFileSystem) throws -> String? {
        let logDirectory = directory + "/" + EventLog.logDirectoryName
        let name = SegmentFileName.name(forBase: 1)
        guard try fileSystem.contentsOfDirectory(atPath: logDirectory).contains(name) else {
            return nil
        }
        let file = try SegmentFile(fileSystem: fileSystem, directory: logDirectory, name: name, mode: .readOnly)
        defer { file.close() }
        let offset = Int64(SegmentHeader.byteCount)
        guard case .success = try file.readSegmentHeader(),
            case .header(let header) = try file.frameHeader(at: offset),
            header.firstSequence == 1,
            offset + Int64(header.frameLength) <= file.size
        else {
            return nil
        }
        let check = try file.checkFrame(at: offset, header: header)
        return check.payloadIntact ? check.hash.hex : nil
    }
}
