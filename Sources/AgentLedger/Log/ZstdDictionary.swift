import Foundation

/// The zstd dictionaries that codec 2 frames may name (FORMAT.md, "Codec 2").
///
/// A codec 2 payload is a zstd frame compressed with a dictionary; the zstd frame header names
/// it by its dictionary ID. Format version 1 knows one dictionary, ``items1``, built into the
/// library, so that a log stays self-contained and readable by every later version. A dictionary
/// is never changed once logs use it: a new one would get a new ID, and readers keep both.
enum ZstdDictionary {
    /// The dictionary ID of ``items1`` in its zstd header and in every frame it compressed:
    /// "ALD1" as a big-endian number, inside zstd's range for private dictionaries.
    static let items1Identifier: UInt32 = 0x414C_4431

    /// SHA-256 of ``items1`` in hex, as FORMAT.md records it.
    static let items1SHA256 = "45fbd3371525c4536148035107beb5b29ca03024a231bb15ffcee825d5dc16e3"

    /// The dictionary `items1`: 32 KiB trained by `zstd --train` on the first 2,500 items of the
    /// benchmark corpus (Responses API items), decoded once from ``items1Base64``.
    static let items1: [UInt8] = {
        guard let data = Data(base64Encoded: items1Base64, options: .ignoreUnknownCharacters) else {
            preconditionFailure("the built-in zstd dictionary is not valid base64")
        }
        return [UInt8](data)
    }()
}
