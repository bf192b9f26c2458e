import AgentLedgerTestSupport
import Foundation
import Testing

@testable import AgentLedger

/// Codec 2: frame payloads compressed with the zstd dictionary built into the library.
@Suite("Codec 2: zstd with the built-in dictionary")
struct LogDictionaryTests {
    /// One line of a Fixtures conversation, as an agent adds it.
    static let item = Array(
        #"{"role":"user","content":"What's the weather in Lisbon tomorrow? I'm packing for a conference."}"#.utf8
    )

    /// A codec 2 frame written at the dictionary's introduction (first sequence 7, 1 event,
    /// payload ``item``, no previous frame). Frames written with it must stay readable forever.
    static let pinnedFrameHex =
        "860000000100000007000000000000000200000060000000c3d7fce90000000000000000000000000000000000000000"
        + "0000000000000000000000009edaa1d128b52ffd2331444c4160cd01004342072f98e9665c472e9a61e2599070ce58d4"
        + "698bc3af954f9ab165c88b300207fc28984a66f1490ee57b0442aef0b9041a6cfcb31e57f13a"

    /// Fixtures/conversations, found from this file's path.
    static let conversations: String = {
        var path = #filePath
        for _ in 0..<3 {
            path = String(path[..<path.lastIndex(of: "/")!])
        }
        return path + "/Fixtures/conversations"
    }()

    @Test("the built-in dictionary is the pinned one: SHA-256, zstd dictionary magic and ID")
    func pinnedDictionary() throws {
        let bytes = ZstdDictionary.items1
        #expect(bytes.count == 32768)
        let digest = bytes.withUnsafeBytes { FrameHash(hashing: $0) }
        #expect(digest.hex == "45fbd3371525c4536148035107beb5b29ca03024a231bb15ffcee825d5dc16e3")
        #expect(digest.hex == ZstdDictionary.items1SHA256)
        #expect(Array(bytes[0..<4]) == [0x37, 0xA4, 0x30, 0xEC])
        #expect(LogTestHelpers.uint32(bytes, at: 4) == ZstdDictionary.items1Identifier)
        let format = try String(contentsOfFile: Self.conversations + "/../../FORMAT.md", encoding: .utf8)
        #expect(format.contains(ZstdDictionary.items1SHA256))
    }

    @Test("a codec 2 frame written when the dictionary was introduced still decodes")
    func pinnedFrame() throws {
        let frame = try #require(Self.bytes(hex: Self.pinnedFrameHex))
        let header = try frame.withUnsafeBytes { try FrameHeader.decode($0).get() }
        #expect(header.codec == .zstdDictionary)
        #expect(header.firstSequence == 7 && header.eventCount == 1 && header.frameLength == frame.count)
        let stored = Array(frame[FrameHeader.byteCount...])
        #expect(CRC32C.checksum(stored) == header.payloadCRC)
        let payload = try stored.withUnsafeBytes {
            try ZstdCodec().decompress($0, rawLength: header.rawLength, dictionary: true)
        }
        #expect(payload == Self.item)
        // Today's encoder writes the same frame with the zstd the fixture was made with.
        if ZstdCodec.libraryVersion == LogGoldenTests.zstdVersion {
            let encoder = try FrameEncoder(compressionLevel: 3, dictionary: true)
            _ = try Self.item.withUnsafeBytes {
                try encoder.encode(firstSequence: 7, eventCount: 1, payload: $0, previousHash: .zero)
            }
            #expect(encoder.encodedFrame == frame)
        }
    }

    @Test("the dictionary makes small frames of the Fixtures conversations at least a tenth smaller")
    func smallerFrames() throws {
        let withDictionary = try FrameEncoder(compressionLevel: 3, dictionary: true)
        let without = try FrameEncoder(compressionLevel: 3, dictionary: false)
        var bytes = (with: 0, without: 0)
        for name in try FileManager.default.contentsOfDirectory(atPath: Self.conversations).sorted() {
            let data = try #require(FileManager.default.contents(atPath: Self.conversations + "/" + name))
            for line in data.split(separator: 0x0A) {
                let sizes = try [withDictionary, without].map { encoder in
                    try Array(line).withUnsafeBytes {
                        try encoder.encode(firstSequence: 1, eventCount: 1, payload: $0, previousHash: .zero)
                            .header.frameLength
                    }
                }
                #expect(sizes[0] <= sizes[1], "\(name)")
                bytes.with += sizes[0]
                bytes.without += sizes[1]
            }
        }
        // 20.5% smaller with zstd 1.5.4 and 1.5.7; the bound leaves room for other versions.
        #expect(bytes.with > 0 && bytes.with * 10 <= bytes.without * 9, "\(bytes)")
    }

    @Test("a payload naming an unknown dictionary is unsupportedVersion; one naming none is corruptLog")
    func unknownDictionary() throws {
        let codec = try ZstdCodec()
        var named = try Self.compress(Self.item, codec: codec, dictionary: true)
        let position = try #require(Self.identifierPosition(in: named))
        named.replaceSubrange(position..<position + 4, with: [0x32, 0x44, 0x4C, 0x41])  // "ALD2"
        let unknown = LogTestHelpers.ledgerError {
            _ = try named.withUnsafeBytes { try codec.decompress($0, rawLength: Self.item.count, dictionary: true) }
        }
        #expect(unknown?.code == .unsupportedVersion)
        #expect(unknown?.message.contains("dictionary \(0x414C_4432)") == true)
        let plain = try Self.compress(Self.item, codec: codec, dictionary: false)
        let none = LogTestHelpers.ledgerError {
            _ = try plain.withUnsafeBytes { try codec.decompress($0, rawLength: Self.item.count, dictionary: true) }
        }
        #expect(none?.code == .corruptLog)
        // A codec 1 payload that needs the dictionary does not decode without it.
        let needsDictionary = try Self.compress(Self.item, codec: codec, dictionary: true)
        let missing = LogTestHelpers.ledgerError {
            _ = try needsDictionary.withUnsafeBytes { try codec.decompress($0, rawLength: Self.item.count) }
        }
        #expect(missing?.code == .corruptLog)
    }

    @Test("a log mixing codecs 1 and 2 reads back and verifies; an unknown dictionary is reported, not skipped")
    func mixedLog() async throws {
        let directory = try TemporaryDirectory(prefix: "log-dictionary")
        defer { directory.remove() }
        let store = directory.path + "/store"
        for dictionary in [false, true, false] {
            let ledger = try await Ledger.open(
                at: store,
                options: LedgerOptions(durability: .none, compressionDictionary: dictionary)
            )
            // Three items per call: enough repetition that zstd shrinks it also without dictionary.
            let item = try SessionItem(jsonBytes: Self.item)
            try await ledger.session("s").addItems([item, item, item])
            try await ledger.close()
        }
        let frames = try LogTestHelpers.readAll(store)
        #expect(try Self.codecs(store) == [.zstd, .zstdDictionary, .zstd])
        // A checkout writes the frames it copies anew, with the codec its options ask for.
        for dictionary in [true, false] {
            let copy = directory.path + "/copy-\(dictionary)"
            let options = LedgerOptions(durability: .none, compressionDictionary: dictionary)
            #expect(try await Ledger.checkout(from: store, through: 3, into: copy, options: options) == 3)
            #expect(try Self.codecs(copy) == Array(repeating: dictionary ? .zstdDictionary : .zstd, count: 3))
        }
        let ledger = try await Ledger.open(at: store, options: LedgerOptions(readOnly: true))
        #expect(try await ledger.session("s").items().map(\.jsonBytes) == Array(repeating: Self.item, count: 9))
        try await ledger.close()
        #expect(try await Ledger.verifyLog(at: store).problems.isEmpty)

        // The middle frame now names dictionary "ALD2", with valid checksums: reading stops with
        // unsupportedVersion at that frame, and verification reports it there.
        let middle = frames[1]
        let path = store + "/log/" + middle.location.segment
        var bytes = try LogFileBytes.read(path)
        let start = Int(middle.location.offset)
        let end = start + Int(LogTestHelpers.uint32(bytes, at: start))
        let position = try #require(Self.identifierPosition(in: Array(bytes[start + 64..<end])))
        bytes.replaceSubrange(start + 64 + position..<start + 68 + position, with: [0x32, 0x44, 0x4C, 0x41])
        LogTestHelpers.resealFrame(&bytes, at: start)
        try LogFileBytes.write(bytes, to: path)
        let reading = LogTestHelpers.ledgerError { _ = try LogTestHelpers.readAll(store) }
        #expect(reading?.code == .unsupportedVersion)
        #expect(reading?.location?.sequence == middle.firstSequence)
        let problems = try await Ledger.verifyLog(at: store).problems
        #expect(problems.contains { $0.code == .unsupportedVersion && $0.location?.sequence == middle.firstSequence })
    }

    /// The codec of every frame of the store at `store`.
    private static func codecs(_ store: String) throws -> [LogCodec?] {
        try LogTestHelpers.readAll(store).map { frame in
            let bytes = try LogFileBytes.read(store + "/log/" + frame.location.segment)
            return LogCodec(rawValue: bytes[Int(frame.location.offset) + 16])
        }
    }

    private static func compress(_ payload: [UInt8], codec: ZstdCodec, dictionary: Bool) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: ZstdCodec.compressBound(payload.count))
        let count = try payload.withUnsafeBytes { source in
            try output.withUnsafeMutableBytes { try codec.compress(source, into: $0, dictionary: dictionary) }
        }
        return Array(output[0..<count])
    }

    /// Where the zstd frame header of `payload` holds the dictionary ID of ``ZstdDictionary/items1``.
    private static func identifierPosition(in payload: [UInt8]) -> Int? {
        let identifier: [UInt8] = [0x31, 0x44, 0x4C, 0x41]
        return (4..<min(12, payload.count - 4)).first { Array(payload[$0..<$0 + 4]) == identifier }
    }

    private static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else {
            return nil
        }
        return stride(from: 0, to: digits.count, by: 2).compactMap {
            UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)
        }
    }
}
