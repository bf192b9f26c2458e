/// What tells one log from another: the hash of its first frame, to which every later frame is
/// chained. A read model records the identity of the log it was built from, so that another
/// store's log put in its place is not taken for the one it applied.
enum LogIdentity {
    /// The hex SHA-256 of the first frame of the log of the store at `directory`; nil when the
    /// log holds no frame yet, or its first frame's header is damaged, or, when it is the only
    /// frame, its payload (damage there is reported by whatever reads that frame, not here).
    ///
    /// The second frame's header holds that hash (its `previousHash`, under the header's
    /// checksum), so most calls read that header instead of the first frame, which can be as
    /// large as an item; only a log of a single frame has that frame read and hashed.
    static func read(directory: String, fileSystem: any LogFileSystem) throws -> String? {
        let logDirectory = directory + "/" + EventLog.logDirectoryName
        let names = Set(try fileSystem.contentsOfDirectory(atPath: logDirectory))
        let firstName = SegmentFileName.name(forBase: 1)
        guard names.contains(firstName) else {
            return nil
        }
        let file = try SegmentFile(fileSystem: fileSystem, directory: logDirectory, name: firstName, mode: .readOnly)
        defer { file.close() }
        let offset = Int64(SegmentHeader.byteCount)
        guard case .success = try file.readSegmentHeader(),
            case .header(let first) = try file.frameHeader(at: offset),
            first.firstSequence == 1,
            offset + Int64(first.frameLength) <= file.size
        else {
            return nil
        }
        let secondSequence = first.lastSequence + 1
        if let hash = try previousHash(in: file, at: offset + Int64(first.frameLength), sequence: secondSequence) {
            return hash
        }
        // The second frame did not fit in the first segment: it starts the next one.
        let nextName = SegmentFileName.name(forBase: secondSequence)
        if names.contains(nextName) {
            let next = try SegmentFile(fileSystem: fileSystem, directory: logDirectory, name: nextName, mode: .readOnly)
            defer { next.close() }
            if case .success = try next.readSegmentHeader(),
                let hash = try previousHash(in: next, at: offset, sequence: secondSequence)
            {
                return hash
            }
        }
        let check = try file.checkFrame(at: offset, header: first)
        return check.payloadIntact ? check.hash.hex : nil
    }

    /// The `previousHash` of a valid frame header at `offset` of `file` whose first event is
    /// `sequence`; nil when there is none there.
    private static func previousHash(in file: SegmentFile, at offset: Int64, sequence: UInt64) throws -> String? {
        guard case .header(let header) = try file.frameHeader(at: offset), header.firstSequence == sequence else {
            return nil
        }
        return header.previousHash.hex
    }
}
