import AgentLedgerTestSupport
import Testing

@testable import AgentLedger

@Suite("CRC-32C")
struct LogCRC32CTests {
    /// Bit by bit, straight from the definition, to check the table-driven version against.
    private func reference(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1
            }
        }
        return ~crc
    }

    @Test("known vectors (RFC 3720 and the check value)")
    func vectors() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(CRC32C.checksum((0..<32).reversed().map { UInt8($0) }) == 0x113F_DB5C)
        #expect(CRC32C.checksum([]) == 0)
    }

    @Test("slice-by-8 equals the bitwise definition at every length and alignment")
    func matchesReference() {
        var random = LogTestRandom(seed: 32)
        let bytes = random.bytes(count: 600)
        for start in 0..<9 {
            for length in [0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 200, 591 - start] {
                let slice = Array(bytes[start..<start + length])
                let fast = slice.withUnsafeBytes { CRC32C.checksum($0) }
                #expect(fast == reference(slice), "start \(start), length \(length)")
            }
        }
    }

    @Test("update continues a checksum over concatenated bytes")
    func incremental() {
        var random = LogTestRandom(seed: 99)
        let first = random.bytes(count: 37)
        let second = random.bytes(count: 101)
        let whole = CRC32C.checksum(first + second)
        let partial = second.withUnsafeBytes { CRC32C.update(CRC32C.checksum(first), $0) }
        #expect(partial == whole)
    }
}
