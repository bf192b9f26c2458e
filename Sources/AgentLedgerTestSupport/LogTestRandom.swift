/// A seeded random number generator (SplitMix64) for tests: the same seed gives the same
/// sequence on every machine and run, so a failure repeats.
///
/// ```swift
/// var random = LogTestRandom(seed: 42)
/// let payload = random.bytes(count: 100)      // incompressible
/// let text = random.text(count: 100)          // compressible, JSON-like
/// ```
public struct LogTestRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Creates a generator; equal seeds give equal sequences.
    public init(seed: UInt64) {
        state = seed
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    /// `count` random bytes (zstd cannot compress them).
    public mutating func bytes(count: Int) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(count)
        while result.count < count {
            var word = next()
            for _ in 0..<min(8, count - result.count) {
                result.append(UInt8(truncatingIfNeeded: word))
                word >>= 8
            }
        }
        return result
    }

    /// `count` bytes of JSON-like text built from a small vocabulary (zstd compresses it well).
    public mutating func text(count: Int) -> [UInt8] {
        let words = [
            "{\"role\":\"user\",\"content\":\"", "hello", "weather", "tool", "\"},", "function_call", "the",
            "assistant", " ", "result", "42", "\"arguments\":\"{}\"",
        ]
        var result: [UInt8] = []
        result.reserveCapacity(count + 32)
        while result.count < count {
            let index = Int(next() % UInt64(words.count))
            result.append(contentsOf: words[index].utf8)
        }
        return Array(result.prefix(count))
    }
}
