/// The binary encoding of events inside a frame's payload (FORMAT.md, "Events").
///
/// A payload is the events of one frame, one after another. Each event starts with its schema
/// version, so old events stay readable forever: a new version adds a decoder branch that
/// upcasts what it reads, and the encoder only ever writes ``currentVersion``.
public enum EventCodec {
    /// The version this build writes.
    public static let currentVersion: UInt8 = 1

    /// The largest number of items one `itemsAdded` event may carry when decoded.
    static let maxItemsPerEvent = 1 << 24

    /// Appends the encoding of `event` to `writer`.
    static func encode(_ event: LedgerEvent, into writer: inout BinaryWriter) {
        writer.writeByte(currentVersion)
        writer.writeByte(event.kind.rawValue)
        writer.writeVarint(event.sequence)
        writer.writeSignedVarint(event.timestampMicros)
        writer.writeString(event.sessionID)
        writer.writeString(event.branch)
        writer.writeLengthPrefixed { body in
            encodeBody(event.payload, into: &body)
        }
    }

    /// Encodes a batch of events as one frame payload.
    static func encode(_ events: [LedgerEvent]) -> [UInt8] {
        var writer = BinaryWriter(reservingCapacity: 1024)
        for event in events {
            encode(event, into: &writer)
        }
        return writer.bytes
    }

    private static func encodeBody(_ payload: EventPayload, into body: inout BinaryWriter) {
        switch payload {
        case .itemsAdded(let items):
            body.writeVarint(UInt64(items.count))
            for item in items {
                body.writeBytes(item.jsonBytes)
            }
        case .itemPopped(let item, let itemSequence, let itemIndex):
            body.writeVarint(itemSequence)
            body.writeVarint(UInt64(itemIndex))
            body.writeBytes(item.jsonBytes)
        case .sessionCleared:
            break
        case .branchCreated(let sourceBranch, let fromTurn):
            body.writeString(sourceBranch)
            body.writeVarint(UInt64(fromTurn))
        case .branchSwitched(let previousBranch):
            body.writeString(previousBranch)
        case .branchDeleted(let switchedToMain):
            body.writeByte(switchedToMain ? 1 : 0)
        case .usageRecorded(let turn, let usage):
            body.writeVarint(UInt64(turn))
            body.writeSignedVarint(Int64(usage.requests))
            body.writeSignedVarint(Int64(usage.inputTokens))
            body.writeSignedVarint(Int64(usage.outputTokens))
            body.writeSignedVarint(Int64(usage.totalTokens))
            if let details = usage.detailsJSON {
                body.writeByte(1)
                body.writeString(details)
            } else {
                body.writeByte(0)
            }
        }
    }

    /// Decodes the `count` events of a frame whose first sequence number is `firstSequence`.
    ///
    /// - Throws: `LedgerError` with code `unsupportedVersion` for an event written by a newer
    ///   version, `corruptLog` for anything malformed (with `location`, when given).
    static func decode(
        _ payload: [UInt8],
        firstSequence: UInt64,
        count: Int,
        location: LogLocation? = nil
    ) throws(LedgerError) -> [LedgerEvent] {
        var reader = BinaryReader(payload)
        var events: [LedgerEvent] = []
        // Every event takes at least 7 bytes: a hostile count cannot make this allocate wildly.
        events.reserveCapacity(min(count, payload.count / 7 + 1))
        for index in 0..<count {
            let expected = firstSequence + UInt64(index)
            events.append(try decodeEvent(from: &reader, expectedSequence: expected, location: location))
        }
        guard reader.isAtEnd else {
            throw LedgerError(
                .corruptLog,
                "frame payload has \(payload.count - reader.offset) bytes after its \(count) events",
                location: location
            )
        }
        return events
    }

    private static func decodeEvent(
        from reader: inout BinaryReader,
        expectedSequence: UInt64,
        location: LogLocation?
    ) throws(LedgerError) -> LedgerEvent {
        do {
            let version = try reader.readByte()
            guard version == 1 else {
                throw LedgerError(
                    version == 0 ? .corruptLog : .unsupportedVersion,
                    version == 0
                        ? "event \(expectedSequence) has version 0, which was never written"
                        : "event \(expectedSequence) has encoding version \(version); this build reads "
                            + "versions up to \(currentVersion): upgrade AgentLedger to read this log",
                    location: location
                )
            }
            return try decodeVersion1(from: &reader, expectedSequence: expectedSequence, location: location)
        } catch let problem as BinaryReader.DecodingProblem {
            throw LedgerError(
                .corruptLog,
                "event \(expectedSequence) is malformed at payload byte \(problem.offset): \(problem.reason)",
                location: location
            )
        } catch let error as LedgerError {
            throw error
        } catch {
            throw LedgerError(.corruptLog, "event \(expectedSequence): \(error)", location: location)
        }
    }

    private static func decodeVersion1(
        from reader: inout BinaryReader,
        expectedSequence: UInt64,
        location: LogLocation?
    ) throws -> LedgerEvent {
        let kindByte = try reader.readByte()
        guard let kind = EventKind(rawValue: kindByte) else {
            throw LedgerError(
                .corruptLog,
                "event \(expectedSequence) has unknown kind \(kindByte) for encoding version 1",
                location: location
            )
        }
        let sequence = try reader.readVarint()
        guard sequence == expectedSequence else {
            throw LedgerError(
                .corruptLog,
                "event carries sequence \(sequence) where \(expectedSequence) was expected",
                location: location
            )
        }
        let timestamp = try reader.readSignedVarint()
        let sessionID = try reader.readString()
        let branch = try reader.readString()
        let bodyRange = try reader.readRange()
        var body = BinaryReader(reader.bytes, offset: bodyRange.lowerBound, end: bodyRange.upperBound)
        let payload = try decodeBody(kind, from: &body, sequence: sequence, location: location)
        guard body.isAtEnd else {
            throw LedgerError(
                .corruptLog,
                "event \(sequence) (\(kind)) has \(body.end - body.offset) unexpected trailing bytes",
                location: location
            )
        }
        return LedgerEvent(
            sequence: sequence,
            timestampMicros: timestamp,
            sessionID: sessionID,
            branch: branch,
            schemaVersion: 1,
            payload: payload
        )
    }

    private static func decodeBody(
        _ kind: EventKind,
        from body: inout BinaryReader,
        sequence: UInt64,
        location: LogLocation?
    ) throws -> EventPayload {
        switch kind {
        case .itemsAdded:
            let count = try body.readCount(limit: maxItemsPerEvent, what: "item count")
            var items: [SessionItem] = []
            items.reserveCapacity(min(count, 4096, body.end - body.offset))
            for index in 0..<count {
                items.append(try decodeItem(from: &body, sequence: sequence, index: index, location: location))
            }
            return .itemsAdded(items)
        case .itemPopped:
            let itemSequence = try body.readVarint()
            let itemIndex = try body.readCount(limit: maxItemsPerEvent, what: "item index")
            let item = try decodeItem(from: &body, sequence: sequence, index: 0, location: location)
            return .itemPopped(item: item, itemSequence: itemSequence, itemIndex: itemIndex)
        case .sessionCleared:
            return .sessionCleared
        case .branchCreated:
            let source = try body.readString()
            let turn = try body.readCount(limit: Int(Int32.max), what: "turn")
            return .branchCreated(sourceBranch: source, fromTurn: turn)
        case .branchSwitched:
            return .branchSwitched(previousBranch: try body.readString())
        case .branchDeleted:
            return .branchDeleted(switchedToMain: try body.readByte() != 0)
        case .usageRecorded:
            let turn = try body.readCount(limit: Int(Int32.max), what: "turn")
            let requests = try body.readSignedVarint()
            let input = try body.readSignedVarint()
            let output = try body.readSignedVarint()
            let total = try body.readSignedVarint()
            let details: String? = try body.readByte() != 0 ? try body.readString() : nil
            let usage = RunUsage(
                requests: Int(truncatingIfNeeded: requests),
                inputTokens: Int(truncatingIfNeeded: input),
                outputTokens: Int(truncatingIfNeeded: output),
                totalTokens: Int(truncatingIfNeeded: total),
                detailsJSON: details
            )
            return .usageRecorded(turn: turn, usage: usage)
        }
    }

    private static func decodeItem(
        from body: inout BinaryReader,
        sequence: UInt64,
        index: Int,
        location: LogLocation?
    ) throws -> SessionItem {
        let bytes = try body.readBytes()
        do {
            // Validated in full, but the texts are left to whoever needs them (the search
            // indexer, turn queries): replay only needs the classification.
            let facts = try SessionItem.classify(bytes: bytes, includingTexts: false)
            return SessionItem(validatedBytes: bytes, facts: facts)
        } catch {
            throw LedgerError(
                .corruptLog,
                "item \(index) of event \(sequence) is not a valid JSON object: \(error)",
                location: location
            )
        }
    }
}
