import AgentLedgerTestSupport
import Testing

@testable import AgentLedger

@Suite("Frame and segment encoding")
struct LogFrameTests {
    private func sampleHeader() -> FrameHeader {
        var random = LogTestRandom(seed: 5)
        let hash = random.bytes(count: 32)
        return FrameHeader(
            frameLength: 64 + 123,
            eventCount: 7,
            firstSequence: 0x0102_0304_0506_0708,
            codec: .zstd,
            rawLength: 4000,
            payloadCRC: 0xDEAD_BEEF,
            previousHash: FrameHash(bytes: hash)!
        )
    }

    @Test("a frame header round-trips and is laid out little-endian as documented")
    func headerRoundTrip() throws {
        let header = sampleHeader()
        var bytes = [UInt8](repeating: 0xAA, count: 64)
        bytes.withUnsafeMutableBytes { header.encode(into: $0) }
        #expect(Array(bytes[0..<4]) == [187, 0, 0, 0])
        #expect(Array(bytes[4..<8]) == [7, 0, 0, 0])
        #expect(Array(bytes[8..<16]) == [8, 7, 6, 5, 4, 3, 2, 1])
        #expect(Array(bytes[16..<20]) == [1, 0, 0, 0])
        #expect(Array(bytes[20..<24]) == [0xA0, 0x0F, 0, 0])
        #expect(Array(bytes[24..<28]) == [0xEF, 0xBE, 0xAD, 0xDE])
        #expect(Array(bytes[28..<60]) == header.previousHash.bytes)
        let crc = CRC32C.checksum(Array(bytes[0..<60]))
        #expect(
            Array(bytes[60..<64]) == [
                UInt8(crc & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 24),
            ]
        )
        let decoded = try bytes.withUnsafeBytes { try FrameHeader.decode($0).get() }
        #expect(decoded == header)
        #expect(decoded.lastSequence == header.firstSequence + 6)
    }

    @Test("every flipped bit of a frame header is detected")
    func headerBitFlips() {
        let header = sampleHeader()
        var bytes = [UInt8](repeating: 0, count: 64)
        bytes.withUnsafeMutableBytes { header.encode(into: $0) }
        for offset in 0..<64 {
            for bit in 0..<8 {
                var damaged = bytes
                damaged[offset] ^= UInt8(1) << UInt8(bit)
                let result = damaged.withUnsafeBytes { FrameHeader.decode($0) }
                guard case .failure(.damaged) = result else {
                    Issue.record("flipping bit \(bit) of byte \(offset) was not detected: \(result)")
                    return
                }
            }
        }
    }

    @Test("impossible fields are refused even with a valid checksum")
    func headerFieldRanges() {
        func decode(
            _ change: (inout FrameHeader) -> Void,
            reserved: UInt8 = 0,
            codec: UInt8? = nil
        ) -> FrameHeader.Defect? {
            var header = sampleHeader()
            change(&header)
            var bytes = [UInt8](repeating: 0, count: 64)
            bytes.withUnsafeMutableBytes { header.encode(into: $0) }
            bytes[17] = reserved
            if let codec {
                bytes[16] = codec
            }
            let crc = CRC32C.checksum(Array(bytes[0..<60]))
            bytes.withUnsafeMutableBytes { $0.storeBytes(of: crc.littleEndian, toByteOffset: 60, as: UInt32.self) }
            if case .failure(let defect) = bytes.withUnsafeBytes({ FrameHeader.decode($0) }) {
                return defect
            }
            return nil
        }
        #expect(decode { $0.frameLength = 63 } != nil)
        #expect(decode { $0.frameLength = FrameHeader.maxFrameBytes + 1 } != nil)
        #expect(decode { $0.eventCount = 0 } != nil)
        #expect(decode { $0.firstSequence = 0 } != nil)
        #expect(decode { $0.rawLength = ZstdCodec.maxRawBytes + 1 } != nil)
        #expect(decode { $0.codec = .none } != nil)  // raw length must equal the stored length
        #expect(decode({ _ in }, reserved: 1) != nil)
        #expect(decode({ _ in }, codec: 2) == nil)  // zstd with the built-in dictionary
        #expect(
            decode({ _ in }, codec: 3) == .unsupported("frame codec 3 is not supported by this version of AgentLedger")
        )
        #expect(decode({ _ in }, codec: 9) != nil)
        #expect(decode { _ in } == nil)
    }

    @Test(
        "the encoder compresses text (with the dictionary or without), stores random bytes as is, and all decode",
        arguments: [true, false]
    )
    func encoderRoundTrip(dictionary: Bool) throws {
        var random = LogTestRandom(seed: 11)
        let encoder = try FrameEncoder(compressionLevel: 3, dictionary: dictionary)
        let codec = try ZstdCodec()
        let previous = FrameHash(bytes: random.bytes(count: 32))!
        let compressed = dictionary ? LogCodec.zstdDictionary : .zstd
        for (payload, expectedCodec) in [
            (random.text(count: 5000), compressed), (random.bytes(count: 700), .none), ([], .none),
            (random.text(count: 1), .none),
        ] {
            let (header, hash) = try payload.withUnsafeBytes {
                try encoder.encode(firstSequence: 42, eventCount: 3, payload: $0, previousHash: previous)
            }
            let frame = encoder.encodedFrame
            #expect(header.codec == expectedCodec)
            #expect(frame.count == header.frameLength)
            #expect(header.rawLength == payload.count)
            #expect(hash == frame.withUnsafeBytes { FrameHash(hashing: $0) })
            let decoded = try frame.withUnsafeBytes { try FrameHeader.decode($0).get() }
            #expect(decoded == header)
            #expect(decoded.previousHash == previous)
            let stored = Array(frame[64...])
            #expect(CRC32C.checksum(stored) == header.payloadCRC)
            let restored =
                header.codec == .none
                ? stored
                : try stored.withUnsafeBytes {
                    try codec.decompress($0, rawLength: header.rawLength, dictionary: header.codec == .zstdDictionary)
                }
            #expect(restored == payload)
        }
    }

    @Test("zstd refuses damaged input, a wrong size and sizes above the limit")
    func zstdErrors() throws {
        var random = LogTestRandom(seed: 3)
        let codec = try ZstdCodec(compressionLevel: 5)
        let text = random.text(count: 2000)
        var compressed = [UInt8](repeating: 0, count: ZstdCodec.compressBound(text.count))
        let count = try text.withUnsafeBytes { source in
            try compressed.withUnsafeMutableBytes { try codec.compress(source, into: $0) }
        }
        compressed.removeLast(compressed.count - count)
        #expect(try compressed.withUnsafeBytes { try codec.decompress($0, rawLength: text.count) } == text)
        let wrongSize = LogTestHelpers.ledgerError {
            _ = try compressed.withUnsafeBytes { try codec.decompress($0, rawLength: text.count + 1) }
        }
        #expect(wrongSize?.code == .corruptLog)
        let garbage = random.bytes(count: 100)
        let damaged = LogTestHelpers.ledgerError {
            _ = try garbage.withUnsafeBytes { try codec.decompress($0, rawLength: 50) }
        }
        #expect(damaged?.code == .corruptLog)
        // Garbage has no valid zstd frame header: refused before anything is allocated.
        #expect(damaged?.message.contains("frame header is damaged") == true)
        #expect(wrongSize?.message.contains("holds \(text.count) bytes") == true)
        let huge = LogTestHelpers.ledgerError {
            _ = try compressed.withUnsafeBytes { try codec.decompress($0, rawLength: ZstdCodec.maxRawBytes + 1) }
        }
        #expect(huge?.code == .corruptLog)
        #expect(LogTestHelpers.ledgerError { _ = try ZstdCodec(compressionLevel: 99) }?.code == .invalidArgument)
    }

    @Test("frame hashes are SHA-256 (FIPS 180-2 vectors)")
    func sha256Vectors() {
        let abc = Array("abc".utf8).withUnsafeBytes { FrameHash(hashing: $0) }
        #expect(abc.hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let empty = [UInt8]().withUnsafeBytes { FrameHash(hashing: $0) }
        #expect(empty.hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(FrameHash.zero.bytes == [UInt8](repeating: 0, count: 32))
    }

    @Test("a segment header round-trips; damage and other versions are told apart")
    func segmentHeader() throws {
        let bytes = SegmentHeader(baseSequence: 8193).encoded()
        #expect(bytes.count == 32)
        #expect(Array(bytes[0..<8]) == Array("ALEDGSEG".utf8))
        #expect(Array(bytes[8..<12]) == [1, 0, 0, 0])
        #expect(Array(bytes[16..<24]) == [0x01, 0x20, 0, 0, 0, 0, 0, 0])
        #expect(try bytes.withUnsafeBytes { try SegmentHeader.decode($0).get() } == SegmentHeader(baseSequence: 8193))
        var damaged = bytes
        damaged[17] ^= 4
        guard case .failure(.damaged) = damaged.withUnsafeBytes({ SegmentHeader.decode($0) }) else {
            Issue.record("a damaged segment header was accepted")
            return
        }
        var newer = bytes
        newer[8] = 2
        let crc = CRC32C.checksum(Array(newer[0..<28]))
        newer.withUnsafeMutableBytes { $0.storeBytes(of: crc.littleEndian, toByteOffset: 28, as: UInt32.self) }
        #expect(newer.withUnsafeBytes { SegmentHeader.decode($0) } == .failure(.unsupported(2)))
        guard case .failure(.damaged) = Array(bytes[0..<20]).withUnsafeBytes({ SegmentHeader.decode($0) }) else {
            Issue.record("a short segment header was accepted")
            return
        }
    }
}
