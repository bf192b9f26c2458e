import AgentLedgerTestSupport
import Foundation
import Testing

@testable import AgentLedger

/// The fuzz targets of ``ReliabilityFuzzTests``: each handles one input, generated from its
/// index alone (a generator seeded with the target and the index), so that any input can be
/// made again without the ones before it, and a worker process can start anywhere.
///
/// Every input must give a result or a `LedgerError` of an expected code: no crash, no hang.
enum ReliabilityFuzzTargets {
    /// What a run of inputs gave.
    struct Tally: CustomStringConvertible {
        var inputs = 0
        var bytes = 0
        var accepted = 0
        var refused: [String: Int] = [:]

        /// `inputs=… bytes=… accepted=… refused=code:n,…`, as the worker prints it.
        var description: String {
            let codes = refused.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ",")
            return "inputs=\(inputs) bytes=\(bytes) accepted=\(accepted) refused=\(codes)"
        }

        /// Parses ``description``.
        init(parsing text: Substring) {
            for field in text.split(separator: " ") {
                let parts = field.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else {
                    continue
                }
                switch parts[0] {
                case "inputs": inputs = Int(parts[1]) ?? 0
                case "bytes": bytes = Int(parts[1]) ?? 0
                case "accepted": accepted = Int(parts[1]) ?? 0
                case "refused":
                    for pair in parts[1].split(separator: ",") {
                        let codeCount = pair.split(separator: ":")
                        if codeCount.count == 2 {
                            refused[String(codeCount[0]), default: 0] += Int(codeCount[1]) ?? 0
                        }
                    }
                default: break
                }
            }
        }

        init() {}

        /// Adds `other` to this tally.
        mutating func add(_ other: Tally) {
            inputs += other.inputs
            bytes += other.bytes
            accepted += other.accepted
            refused.merge(other.refused, uniquingKeysWith: +)
        }
    }

    /// The generator of input `index` of `target`.
    static func generator(_ target: UInt64, _ index: Int) -> SeededRandom {
        var mixer = SeededRandom(seed: target)
        return SeededRandom(seed: mixer.next() &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
    }

    /// Valid frame payloads holding every kind of event, in batches of one to four.
    static let corpus: [(payload: [UInt8], firstSequence: UInt64, count: Int)] = {
        var random = SeededRandom(seed: 0xC0B9)
        let payloads: [EventPayload] = [
            .itemsAdded([
                ItemFactory.user("hello"), ItemFactory.functionCall("get_weather", arguments: #"{"city":"Zürich"}"#),
            ]),
            .itemsAdded([ItemFactory.assistant("🙂 unicode \u{1} and \"quotes\"")]),
            .itemPopped(item: ItemFactory.user("popped"), itemSequence: 3, itemIndex: 1),
            .sessionCleared,
            .branchCreated(sourceBranch: "main", fromTurn: 2),
            .branchSwitched(previousBranch: "main"),
            .branchDeleted(switchedToMain: true),
            .usageRecorded(
                turn: 4,
                usage: RunUsage(requests: 1, inputTokens: -5, outputTokens: 1 << 40, totalTokens: 7)
            ),
            .usageRecorded(
                turn: 1,
                usage: RunUsage(
                    requests: 2,
                    inputTokens: 3,
                    outputTokens: 4,
                    totalTokens: 9,
                    detailsJSON: #"{"cached":1}"#
                )
            ),
        ]
        var corpus: [(payload: [UInt8], firstSequence: UInt64, count: Int)] = []
        for round in 0..<40 {
            let first = UInt64(1 + round * 7)
            let count = Int.random(in: 1...4, using: &random)
            let events = (0..<count).map { index in
                LedgerEvent(
                    sequence: first + UInt64(index),
                    timestampMicros: 1_700_000_000_000_000 + Int64(round),
                    sessionID: ["s", "session-é", String(repeating: "x", count: 200)][index % 3],
                    branch: index % 2 == 0 ? "main" : "retry",
                    payload: payloads[Int.random(in: 0..<payloads.count, using: &random)]
                )
            }
            corpus.append((EventCodec.encode(events), first, count))
        }
        return corpus
    }()

    /// Applies one to four random mutations: bit flips, random or boundary bytes, insertions,
    /// deletions, a cut, a duplicated slice, an over-long varint.
    static func mutate(_ bytes: inout [UInt8], _ random: inout SeededRandom) {
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &random)
            switch Int.random(in: 0..<9, using: &random) {
            case 0 where !bytes.isEmpty:
                bytes[position] ^= 1 << UInt8.random(in: 0..<8, using: &random)
            case 1 where !bytes.isEmpty:
                bytes[position] = UInt8.random(in: 0...255, using: &random)
            case 2 where !bytes.isEmpty:
                bytes[position] = [0x00, 0x01, 0x02, 0x7F, 0x80, 0xFF][Int.random(in: 0..<6, using: &random)]
            case 3:
                bytes.insert(UInt8.random(in: 0...255, using: &random), at: position)
            case 4 where !bytes.isEmpty:
                bytes.remove(at: position)
            case 5:
                bytes.removeLast(Int.random(in: 0...bytes.count, using: &random))
            case 6 where !bytes.isEmpty:
                let end = min(bytes.count, position + Int.random(in: 1...16, using: &random))
                bytes.insert(contentsOf: bytes[position..<end], at: position)
            case 7:
                bytes.insert(
                    contentsOf: [UInt8](repeating: 0xFF, count: Int.random(in: 1...11, using: &random)),
                    at: position
                )
            default:
                if bytes.count > 1 {
                    bytes.swapAt(position, Int.random(in: 0..<bytes.count, using: &random))
                }
            }
        }
    }

    /// Input `index` of the event decoder: random bytes (one in five) or a mutated valid payload.
    static func eventDecoder(_ index: Int, _ tally: inout Tally) {
        var random = generator(1, index)
        var input: [UInt8]
        var first: UInt64
        var count: Int
        if index % 5 == 0 {
            input = (0..<Int.random(in: 0...200, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            first = UInt64.random(in: 1...1000, using: &random)
            count = Int.random(in: 1...4, using: &random)
            if index % 10 == 0, !input.isEmpty {
                input[0] = 1  // past the version byte more often
            }
        } else {
            let sample = corpus[Int.random(in: 0..<corpus.count, using: &random)]
            input = sample.payload
            mutate(&input, &random)
            first = sample.firstSequence
            count = index % 11 == 0 ? max(1, sample.count + Int.random(in: -1...1, using: &random)) : sample.count
        }
        tally.inputs += 1
        tally.bytes += input.count
        do {
            let events = try EventCodec.decode(input, firstSequence: first, count: count)
            tally.accepted += 1
            #expect(events.count == count, "input \(index)")
            let again = try EventCodec.decode(EventCodec.encode(events), firstSequence: first, count: count)
            #expect(again == events, "input \(index): decoded events do not survive a round trip")
        } catch {
            #expect(error.code == .corruptLog || error.code == .unsupportedVersion, "input \(index): \(error)")
            tally.refused[error.code.name, default: 0] += 1
        }
    }

    static let validFrameHeader: [UInt8] = {
        let payload = Array("some payload that compresses, some payload that compresses".utf8)
        let encoder = try! FrameEncoder(compressionLevel: 3, dictionary: true)
        _ = try! payload.withUnsafeBytes {
            try encoder.encode(firstSequence: 17, eventCount: 3, payload: $0, previousHash: .zero)
        }
        return Array(encoder.encodedFrame.prefix(64))
    }()

    /// Input `index` of the header decoders: a frame header and a segment header, mutated, with
    /// their checksums recomputed (mostly), so that the field checks are reached.
    static func headers(_ index: Int, _ tally: inout Tally) {
        var random = generator(2, index)
        var frame = index % 3 == 0 ? (0..<64).map { _ in UInt8.random(in: 0...255, using: &random) } : validFrameHeader
        var mutated = Array(frame.prefix(60))
        mutate(&mutated, &random)
        mutated = Array((mutated + [UInt8](repeating: 0, count: 60)).prefix(60))
        frame.replaceSubrange(0..<60, with: mutated)
        if index % 7 != 0 {
            let crc = CRC32C.checksum(Array(frame.prefix(60)))
            frame.replaceSubrange(60..<64, with: withUnsafeBytes(of: crc.littleEndian) { Array($0) })
        }
        tally.inputs += 2
        tally.bytes += 64 + 32
        switch frame.withUnsafeBytes({ FrameHeader.decode($0) }) {
        case .success(let header):
            tally.accepted += 1
            #expect(header.frameLength >= 64 && header.frameLength <= FrameHeader.maxFrameBytes)
            #expect(header.eventCount >= 1 && header.firstSequence >= 1)
            #expect(UInt64.max - header.firstSequence >= UInt64(header.eventCount))
            #expect(header.rawLength <= ZstdCodec.maxRawBytes)
        case .failure(.damaged):
            tally.refused["frame-damaged", default: 0] += 1
        case .failure(.unsupported):
            tally.refused["frame-unsupported", default: 0] += 1
        }
        var segment = SegmentHeader(baseSequence: UInt64(index + 1)).encoded()
        var head = Array(segment.prefix(28))
        mutate(&head, &random)
        head = Array((head + [UInt8](repeating: 0, count: 28)).prefix(28))
        segment.replaceSubrange(0..<28, with: head)
        let crc = CRC32C.checksum(head)
        segment.replaceSubrange(28..<32, with: withUnsafeBytes(of: crc.littleEndian) { Array($0) })
        switch segment.withUnsafeBytes({ SegmentHeader.decode($0) }) {
        case .success:
            tally.accepted += 1
            #expect(segment.prefix(8).elementsEqual(SegmentHeader.magic))
        case .failure(.damaged):
            tally.refused["segment-damaged", default: 0] += 1
        case .failure(.unsupported):
            tally.refused["segment-unsupported", default: 0] += 1
        }
    }

    /// The frames of a segment file: start offsets, walking the length fields.
    private static func frameOffsets(_ bytes: [UInt8]) -> [Int] {
        var offsets: [Int] = []
        var offset = 32
        while offset + 64 <= bytes.count {
            let length =
                Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2]) << 16 | Int(bytes[offset + 3])
                << 24
            guard length >= 64, offset + length <= bytes.count else {
                break
            }
            offsets.append(offset)
            offset += length
        }
        return offsets
    }

    /// Recomputes a frame's payload checksum (when `payload`) and header checksum.
    private static func fixChecksums(_ bytes: inout [UInt8], frame offset: Int, payload: Bool) {
        let length =
            Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2]) << 16 | Int(bytes[offset + 3])
            << 24
        if payload, length >= 64, offset + length <= bytes.count {
            let crc = CRC32C.checksum(Array(bytes[(offset + 64)..<(offset + length)]))
            bytes.replaceSubrange(
                (offset + 24)..<(offset + 28),
                with: withUnsafeBytes(of: crc.littleEndian) { Array($0) }
            )
        }
        let crc = CRC32C.checksum(Array(bytes[offset..<(offset + 60)]))
        bytes.replaceSubrange((offset + 60)..<(offset + 64), with: withUnsafeBytes(of: crc.littleEndian) { Array($0) })
    }

    /// Input `index` of the whole-log target: the log `base` (full path → bytes, under
    /// `/fuzz/log/`) with one segment damaged: raw mutations anywhere, or a frame's header fields
    /// or stored payload mutated with its checksums recomputed (one in five on the log's very last
    /// frame, whose hash nothing links to). Recovery, the reader (decoding every event) and verify
    /// run over it in memory; on an intact log they must agree.
    static func damagedLog(_ index: Int, base: [String: [UInt8]], _ tally: inout Tally) {
        var random = generator(3, index)
        let names = base.keys.sorted()
        var files = base
        let isLast = index % 5 == 0
        let name = isLast ? names[names.count - 1] : names[Int.random(in: 0..<names.count, using: &random)]
        var bytes = files[name]!
        let frames = frameOffsets(bytes)
        guard !frames.isEmpty else {
            return
        }
        let frame = isLast ? frames.last! : frames[Int.random(in: 0..<frames.count, using: &random)]
        let end = frames.first { $0 > frame } ?? bytes.count
        switch index % 4 {
        case 0:
            mutate(&bytes, &random)
        case 1:
            var header = Array(bytes[frame..<(frame + 60)])
            mutate(&header, &random)
            header = Array((header + [UInt8](repeating: 0, count: 60)).prefix(60))
            bytes.replaceSubrange(frame..<(frame + 60), with: header)
            fixChecksums(&bytes, frame: frame, payload: false)
        default:
            var payload = Array(bytes[(frame + 64)..<end])
            mutate(&payload, &random)
            bytes.replaceSubrange((frame + 64)..<end, with: payload)
            bytes.replaceSubrange(
                frame..<(frame + 4),
                with: withUnsafeBytes(of: UInt32(64 + payload.count).littleEndian) { Array($0) }
            )
            if bytes[frame + 16] == 0 {
                bytes.replaceSubrange(
                    (frame + 20)..<(frame + 24),
                    with: withUnsafeBytes(of: UInt32(payload.count).littleEndian) { Array($0) }
                )
            }
            fixChecksums(&bytes, frame: frame, payload: true)
        }
        files[name] = bytes
        tally.inputs += 1
        tally.bytes += bytes.count
        let verification = LogReader.verify(directory: "/fuzz", fileSystem: ReliabilityMemoryFileSystem(files: files))
        var readerLast: UInt64?
        var decoded: UInt64 = 0
        do {
            let reader = try LogReader.open(directory: "/fuzz", fileSystem: ReliabilityMemoryFileSystem(files: files))
            var iterator = reader.frames(from: 1)
            while let frame = try iterator.next() {
                decoded += UInt64(
                    try EventCodec.decode(frame.payload, firstSequence: frame.firstSequence, count: frame.eventCount)
                        .count
                )
            }
            readerLast = reader.lastSequence
        } catch let error as LedgerError {
            #expect([.corruptLog, .unsupportedVersion, .io].contains(error.code), "input \(index): \(error)")
            tally.refused["reader-\(error.code)", default: 0] += 1
        } catch {
            Issue.record("input \(index): not a LedgerError: \(error)")
        }
        var recoveredLast: UInt64?
        var cut = false
        do {
            let log = try EventLog.openForWriting(
                directory: "/fuzz",
                fileSystem: ReliabilityMemoryFileSystem(files: files),
                logger: ReliabilityLogCapture().logger
            )
            recoveredLast = log.lastSequence
            cut = log.recovery.truncatedTail != nil
            log.close()
        } catch let error as LedgerError {
            #expect([.corruptLog, .unsupportedVersion, .io].contains(error.code), "input \(index): \(error)")
            tally.refused["recovery-\(error.code)", default: 0] += 1
        } catch {
            Issue.record("input \(index): not a LedgerError: \(error)")
        }
        if verification.problems.isEmpty {
            tally.accepted += 1
            #expect(
                readerLast == verification.lastSequence,
                "input \(index): the reader ends at \(String(describing: readerLast)), verify at \(verification.lastSequence)"
            )
            #expect(
                recoveredLast == verification.lastSequence && !cut,
                "input \(index): recovery ends at \(String(describing: recoveredLast)) (cut: \(cut)), verify at \(verification.lastSequence)"
            )
            #expect(
                decoded == verification.eventCount,
                "input \(index): \(decoded) events decoded, verify counts \(verification.eventCount)"
            )
        } else if !verification.hasCorruption {
            tally.refused["verify-torn-tail", default: 0] += 1
            #expect(
                recoveredLast != nil && cut,
                "input \(index): verify found only a torn tail, recovery did not cut it"
            )
        } else {
            tally.refused["verify-corrupt", default: 0] += 1
        }
    }
}
