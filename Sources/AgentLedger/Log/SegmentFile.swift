/// One open segment file, read through a window: its header, its frame headers, whole frames,
/// and the search for a valid frame after damage.
///
/// Frame headers and small frames are served from a 256 KiB window that is refilled with one
/// `pread` when a read falls outside it, so walking a segment costs about one read per window
/// rather than one per frame. Larger frames are read into a scratch buffer that is reused.
/// Not thread-safe; used by one owner at a time.
final class SegmentFile {
    /// Bytes read ahead by one refill of the window.
    static let windowCapacity = 256 << 10

    /// The file system the file is read through.
    let fileSystem: any LogFileSystem
    /// The segment's file name, such as `00000000000000000001.seg`.
    let name: String
    /// The segment's full path.
    let path: String
    /// The open file.
    let handle: LogFileHandle
    /// The file's size when it was opened (or when ``refreshSize()`` or ``didTruncate(to:)`` last
    /// ran). Nothing at or past this offset is read.
    private(set) var size: Int64

    private let ownsHandle: Bool
    private var isClosed = false
    private var window: [UInt8] = []
    private var windowStart: Int64 = 0
    private var windowCount = 0
    private var scratch: [UInt8] = []

    /// Opens the segment `name` in `directory`.
    init(fileSystem: any LogFileSystem, directory: String, name: String, mode: LogFileOpenMode) throws {
        self.fileSystem = fileSystem
        self.name = name
        self.path = directory + "/" + name
        self.handle = try fileSystem.openFile(atPath: path, mode: mode)
        self.ownsHandle = true
        do {
            self.size = try fileSystem.size(of: handle)
        } catch {
            fileSystem.closeFile(handle)
            isClosed = true
            throw error
        }
    }

    /// Reads through a handle that someone else owns and closes (the writer's active segment).
    init(fileSystem: any LogFileSystem, path: String, name: String, borrowing handle: LogFileHandle) throws {
        self.fileSystem = fileSystem
        self.name = name
        self.path = path
        self.handle = handle
        self.ownsHandle = false
        self.size = try fileSystem.size(of: handle)
    }

    deinit {
        close()
    }

    /// Closes the file if this object owns it; idempotent.
    func close() {
        if !isClosed {
            isClosed = true
            if ownsHandle {
                fileSystem.closeFile(handle)
            }
        }
    }

    /// Reads the file's size again (the file may have grown).
    func refreshSize() throws {
        size = try fileSystem.size(of: handle)
        windowCount = 0
    }

    /// Records that the file was truncated to `newSize`.
    func didTruncate(to newSize: Int64) {
        size = newSize
        windowCount = 0
    }

    /// Calls `body` with the bytes `[offset, offset + count)`, or with fewer when the file ends
    /// before (at ``size``).
    func withBytes<R>(at offset: Int64, count: Int, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        precondition(offset >= 0 && count >= 0, "negative offset or count")
        let available = Int(max(0, min(Int64(count), size - offset)))
        guard available > 0 else {
            return try body(UnsafeRawBufferPointer(start: nil, count: 0))
        }
        if offset >= windowStart, offset + Int64(available) <= windowStart + Int64(windowCount) {
            let start = Int(offset - windowStart)
            return try window.withUnsafeBytes {
                try body(UnsafeRawBufferPointer(rebasing: $0[start..<start + available]))
            }
        }
        if available <= Self.windowCapacity {
            if window.count < Self.windowCapacity {
                window = [UInt8](repeating: 0, count: Self.windowCapacity)
            }
            let wanted = Int(min(Int64(Self.windowCapacity), size - offset))
            let fileSystem = self.fileSystem
            let handle = self.handle
            windowCount = 0
            let read = try window.withUnsafeMutableBytes { buffer in
                try fileSystem.read(
                    handle,
                    into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<wanted]),
                    at: offset
                )
            }
            windowStart = offset
            windowCount = read
            let got = min(available, read)
            return try window.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<got])) }
        }
        if scratch.count < available {
            scratch = [UInt8](repeating: 0, count: available)
        }
        let fileSystem = self.fileSystem
        let handle = self.handle
        let read = try scratch.withUnsafeMutableBytes { buffer in
            try fileSystem.read(
                handle,
                into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<available]),
                at: offset
            )
        }
        defer {
            if scratch.count > 8 << 20 {
                scratch = []
            }
        }
        return try scratch.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<read])) }
    }

    /// Whether every byte from `offset` to ``size`` is zero (true when there is none).
    func isZero(from offset: Int64) throws -> Bool {
        var position = offset
        while position < size {
            let count = Int(min(Int64(Self.windowCapacity), size - position))
            let zero = try withBytes(at: position, count: count) { bytes in
                bytes.count == count && !bytes.contains { $0 != 0 }
            }
            guard zero else {
                return false
            }
            position += Int64(count)
        }
        return true
    }

    /// Whether a complete frame with intact checksums starts at `offset` when the file is read
    /// again: the window is dropped and the size read anew. A reader that races the writer
    /// filling reserved space can read zeros, or half a frame, where a frame is a moment later,
    /// and then find the frame after it: this tells that write in progress from damage.
    func holdsValidFrameOnRereading(at offset: Int64) throws -> Bool {
        try refreshSize()
        switch try frameHeader(at: offset) {
        case .header(let header):
            guard offset + Int64(header.frameLength) <= size else {
                return false
            }
            return try checkFrame(at: offset, header: header).payloadIntact
        case .defect(.unsupported):
            // A frame of a newer version, now written: the caller reads it again and says so.
            return true
        case .defect(.damaged), .incomplete:
            return false
        }
    }

    /// The segment header, or why it is not usable (a file shorter than 32 bytes is damaged).
    func readSegmentHeader() throws -> Result<SegmentHeader, SegmentHeader.Defect> {
        try withBytes(at: 0, count: SegmentHeader.byteCount) { SegmentHeader.decode($0) }
    }

    /// What was found where a frame should start.
    enum FrameHeaderRead {
        /// A valid header.
        case header(FrameHeader)
        /// The file ends after this many bytes of header.
        case incomplete(Int)
        /// 64 bytes that are not a valid header.
        case defect(FrameHeader.Defect)
    }

    /// Reads the frame header at `offset`.
    func frameHeader(at offset: Int64) throws -> FrameHeaderRead {
        try withBytes(at: offset, count: FrameHeader.byteCount) { bytes in
            guard bytes.count == FrameHeader.byteCount else {
                return .incomplete(bytes.count)
            }
            switch FrameHeader.decode(bytes) {
            case .success(let header):
                return .header(header)
            case .failure(let defect):
                return .defect(defect)
            }
        }
    }

    /// The underlying error of a read that found the file shorter than when it was opened: the
    /// writer cut a frame it had not acknowledged (a failed write), or its reserved zeros.
    struct Shrank: Error {}

    /// Calls `body` with all bytes of the frame at `offset`, whose header is `header`; the frame
    /// must lie within ``size``.
    func withFrame<R>(at offset: Int64, header: FrameHeader, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try withBytes(at: offset, count: header.frameLength) { bytes in
            guard bytes.count == header.frameLength else {
                throw LedgerError(
                    .io,
                    "\(path) ended while reading the frame at offset \(offset): it shrank while being read",
                    underlying: Shrank()
                )
            }
            return try body(bytes)
        }
    }

    /// Whether a frame's stored payload matches its checksum, and the frame's hash.
    struct FrameCheck {
        /// The payload's CRC-32C equals the header's `payloadCRC`.
        var payloadIntact: Bool
        /// SHA-256 of all bytes of the frame.
        var hash: FrameHash
    }

    /// Reads the frame at `offset` and checks its payload checksum.
    func checkFrame(at offset: Int64, header: FrameHeader) throws -> FrameCheck {
        try withFrame(at: offset, header: header) { Self.check($0, header: header) }
    }

    /// Checks the payload checksum of a frame's bytes and hashes them.
    static func check(_ frame: UnsafeRawBufferPointer, header: FrameHeader) -> FrameCheck {
        let payload = UnsafeRawBufferPointer(rebasing: frame[FrameHeader.byteCount...])
        return FrameCheck(
            payloadIntact: CRC32C.checksum(payload) == header.payloadCRC,
            hash: FrameHash(hashing: frame)
        )
    }

    /// The offset of the first fully valid frame (header and payload checksums, within the
    /// file, first sequence at least `minimumSequence`) that starts at or after `start`, at any
    /// byte position; `nil` when there is none. A frame of a codec this version does not know
    /// counts: it is valid data, only newer (``FrameHeader/decodeAnyCodec(_:)``).
    ///
    /// This is how a torn tail is told from damage: a crash can leave an incomplete or garbled
    /// frame only at the very end, never followed by a valid one.
    func findValidFrame(from start: Int64, minimumSequence: UInt64) throws -> Int64? {
        let chunk = 1 << 20
        let headerBytes = FrameHeader.byteCount
        var chunkStart = max(start, 0)
        var buffer = [UInt8](repeating: 0, count: chunk + headerBytes)
        while chunkStart + Int64(headerBytes) <= size {
            let wanted = Int(min(Int64(chunk + headerBytes), size - chunkStart))
            let fileSystem = self.fileSystem
            let handle = self.handle
            let base = chunkStart
            let read = try buffer.withUnsafeMutableBytes { bytes in
                try fileSystem.read(handle, into: UnsafeMutableRawBufferPointer(rebasing: bytes[0..<wanted]), at: base)
            }
            guard read >= headerBytes else {
                return nil
            }
            var candidates: [(Int64, FrameHeader)] = []
            buffer.withUnsafeBytes { bytes in
                let last = min(read - headerBytes, chunk - 1)
                for position in 0...last {
                    let fileOffset = base + Int64(position)
                    let length = Int64(
                        UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: UInt32.self))
                    )
                    guard length >= headerBytes, fileOffset + length <= size,
                        bytes[position + 17] == 0, bytes[position + 18] == 0, bytes[position + 19] == 0
                    else {
                        continue
                    }
                    let header = UnsafeRawBufferPointer(rebasing: bytes[position..<position + headerBytes])
                    if let decoded = FrameHeader.decodeAnyCodec(header), decoded.firstSequence >= minimumSequence {
                        candidates.append((fileOffset, decoded))
                    }
                }
            }
            for (offset, header) in candidates where try checkFrame(at: offset, header: header).payloadIntact {
                return offset
            }
            chunkStart += Int64(chunk)
        }
        return nil
    }
}
