import CZstd

/// Compresses and decompresses byte buffers with zstd, reusing one compression context and one
/// decompression context for every call.
///
/// Not thread-safe: a codec belongs to one owner (the log writer, or one reader), which uses it
/// from one thread at a time. The contexts are freed when the codec is released.
final class ZstdCodec {
    /// The largest uncompressed payload the log writes or accepts: 1 GiB. A frame that claims
    /// more is rejected before anything is allocated, so a hostile or damaged length cannot make
    /// a reader allocate wildly.
    static let maxRawBytes = 1 << 30

    /// The zstd compression level (`ZSTD_minCLevel()` to `ZSTD_maxCLevel()`; 3 is zstd's default).
    let compressionLevel: Int32

    private let compressionContext: OpaquePointer
    private let decompressionContext: OpaquePointer
    /// ``ZstdDictionary/items1`` digested for compression at ``compressionLevel``, made on first use.
    private var compressionDictionary: OpaquePointer?
    /// ``ZstdDictionary/items1`` digested for decompression, made on first use.
    private var decompressionDictionary: OpaquePointer?

    /// Creates the contexts. Throws ``LedgerError/Code/invalidArgument`` for a level outside
    /// zstd's range, naming the level as given (an `Int`: one beyond 32 bits is refused too,
    /// not trapped on or named as another).
    init(compressionLevel: Int = 3) throws {
        let range = Int(ZSTD_minCLevel())...Int(ZSTD_maxCLevel())
        guard range.contains(compressionLevel) else {
            throw LedgerError(
                .invalidArgument,
                "zstd compression level \(compressionLevel) is outside \(range.lowerBound)...\(range.upperBound)"
            )
        }
        guard let compression = ZSTD_createCCtx() else {
            throw LedgerError(.io, "zstd could not allocate a compression context (out of memory)")
        }
        guard let decompression = ZSTD_createDCtx() else {
            ZSTD_freeCCtx(compression)
            throw LedgerError(.io, "zstd could not allocate a decompression context (out of memory)")
        }
        // In zstd's range, so within 32 bits.
        self.compressionLevel = Int32(compressionLevel)
        self.compressionContext = compression
        self.decompressionContext = decompression
    }

    deinit {
        ZSTD_freeCCtx(compressionContext)
        ZSTD_freeDCtx(decompressionContext)
        ZSTD_freeCDict(compressionDictionary)
        ZSTD_freeDDict(decompressionDictionary)
    }

    /// The most bytes that compressing `count` bytes can produce.
    static func compressBound(_ count: Int) -> Int {
        ZSTD_compressBound(count)
    }

    /// The version of the linked libzstd, such as `10504` for 1.5.4.
    static var libraryVersion: UInt32 {
        ZSTD_versionNumber()
    }

    /// Compresses `source` into `destination` (which should hold ``compressBound(_:)`` bytes)
    /// and returns the compressed size. With `dictionary`, the zstd frame is compressed with
    /// ``ZstdDictionary/items1`` and names it (codec 2); without, it stands alone (codec 1).
    func compress(
        _ source: UnsafeRawBufferPointer,
        into destination: UnsafeMutableRawBufferPointer,
        dictionary: Bool = false
    ) throws -> Int {
        let result: Int
        if dictionary {
            result = ZSTD_compress_usingCDict(
                compressionContext,
                destination.baseAddress,
                destination.count,
                source.baseAddress,
                source.count,
                try compressionDictionaryHandle()
            )
        } else {
            result = ZSTD_compressCCtx(
                compressionContext,
                destination.baseAddress,
                destination.count,
                source.baseAddress,
                source.count,
                compressionLevel
            )
        }
        if ZSTD_isError(result) != 0 {
            throw LedgerError(.io, "zstd compression failed: \(Self.errorName(result))")
        }
        return result
    }

    /// Decompresses `source`, which must expand to exactly `destination.count` bytes. With
    /// `dictionary` (codec 2) the zstd frame must name ``ZstdDictionary/items1``.
    ///
    /// Throws ``LedgerError/Code/corruptLog`` (without a location: the caller adds it) when the
    /// input is not a valid zstd frame or expands to another size, and when the size is above
    /// ``maxRawBytes``; ``LedgerError/Code/unsupportedVersion`` when it names a dictionary this
    /// version does not have.
    func decompress(
        _ source: UnsafeRawBufferPointer,
        into destination: UnsafeMutableRawBufferPointer,
        dictionary: Bool = false
    ) throws {
        guard destination.count <= Self.maxRawBytes else {
            throw LedgerError(
                .corruptLog,
                "zstd payload claims \(destination.count) bytes, above the limit of \(Self.maxRawBytes)"
            )
        }
        let digested = dictionary ? try decompressionDictionaryHandle(for: source) : nil
        var scratch: UInt8 = 0
        let result = withUnsafeMutablePointer(to: &scratch) { fallback in
            let output = destination.baseAddress ?? UnsafeMutableRawPointer(fallback)
            if let digested {
                return ZSTD_decompress_usingDDict(
                    decompressionContext,
                    output,
                    destination.count,
                    source.baseAddress,
                    source.count,
                    digested
                )
            }
            return ZSTD_decompressDCtx(
                decompressionContext,
                output,
                destination.count,
                source.baseAddress,
                source.count
            )
        }
        if ZSTD_isError(result) != 0 {
            throw LedgerError(.corruptLog, "zstd decompression failed: \(Self.errorName(result))")
        }
        guard result == destination.count else {
            throw LedgerError(
                .corruptLog,
                "zstd payload expanded to \(result) bytes, but the frame header says \(destination.count)"
            )
        }
    }

    /// Decompresses `source` into a new array of exactly `rawLength` bytes (see
    /// ``decompress(_:into:dictionary:)``).
    func decompress(_ source: UnsafeRawBufferPointer, rawLength: Int, dictionary: Bool = false) throws -> [UInt8] {
        guard rawLength >= 0, rawLength <= Self.maxRawBytes else {
            throw LedgerError(
                .corruptLog,
                "zstd payload claims \(rawLength) bytes, above the limit of \(Self.maxRawBytes)"
            )
        }
        try Self.checkContentSize(source, rawLength: rawLength)
        var output = [UInt8](repeating: 0, count: rawLength)
        try output.withUnsafeMutableBytes { destination in
            try decompress(source, into: destination, dictionary: dictionary)
        }
        return output
    }

    /// Checks the content size that the zstd frame `source` records (this codec always writes
    /// it) against the frame header's `rawLength`. Callers check it before allocating the
    /// output, so that a hostile header cannot make a reader allocate up to the limit for a
    /// payload that does not expand to it. Throws ``LedgerError/Code/corruptLog``.
    static func checkContentSize(_ source: UnsafeRawBufferPointer, rawLength: Int) throws {
        let contentSize = ZSTD_getFrameContentSize(source.baseAddress, source.count)
        guard contentSize == UInt64(rawLength) else {
            throw LedgerError(
                .corruptLog,
                contentSize >= UInt64.max - 1
                    ? "zstd payload does not record its size, or its frame header is damaged"
                    : "zstd payload holds \(contentSize) bytes, but the frame header says \(rawLength)"
            )
        }
    }

    /// The digested dictionary for compression, made at the first codec 2 frame.
    private func compressionDictionaryHandle() throws -> OpaquePointer {
        if let compressionDictionary {
            return compressionDictionary
        }
        let made = ZstdDictionary.items1.withUnsafeBytes { bytes in
            ZSTD_createCDict(bytes.baseAddress, bytes.count, compressionLevel)
        }
        guard let made else {
            throw LedgerError(.io, "zstd could not digest its compression dictionary (out of memory)")
        }
        compressionDictionary = made
        return made
    }

    /// The digested dictionary that the zstd frame `source` names, made at the first codec 2
    /// frame; throws when it names none or one this version does not have.
    private func decompressionDictionaryHandle(for source: UnsafeRawBufferPointer) throws -> OpaquePointer {
        let named = ZSTD_getDictID_fromFrame(source.baseAddress, source.count)
        guard named == ZstdDictionary.items1Identifier else {
            if named == 0 {
                throw LedgerError(.corruptLog, "codec 2 payload names no zstd dictionary")
            }
            throw LedgerError(
                .unsupportedVersion,
                "frame needs zstd dictionary \(named), which this version of AgentLedger does not have"
            )
        }
        if let decompressionDictionary {
            return decompressionDictionary
        }
        let made = ZstdDictionary.items1.withUnsafeBytes { bytes in
            ZSTD_createDDict(bytes.baseAddress, bytes.count)
        }
        guard let made else {
            throw LedgerError(.io, "zstd could not digest its decompression dictionary (out of memory)")
        }
        decompressionDictionary = made
        return made
    }

    private static func errorName(_ code: Int) -> String {
        String(cString: ZSTD_getErrorName(code))
    }
}
