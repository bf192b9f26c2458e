/// How a frame's payload is stored: the `codec` byte of the frame header.
enum LogCodec: UInt8, Sendable {
    /// Stored as is (used when compression would not make the payload smaller).
    case none = 0
    /// One zstd frame, holding the payload's size.
    case zstd = 1
    /// One zstd frame compressed with a built-in dictionary (``ZstdDictionary``), which the
    /// zstd frame names by its dictionary ID.
    case zstdDictionary = 2
}
