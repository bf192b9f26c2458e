// A libFuzzer entry point for the event decoder, built by `make stress` outside the package:
//
//     swiftc -sanitize=fuzzer -parse-as-library -swift-version 6 -module-name AgentLedgerFuzz \
//         Sources/AgentLedger/Events/*.swift Sources/AgentLedger/Items/*.swift \
//         Sources/AgentLedger/Errors/LedgerError.swift Tests/AgentLedgerTests/ReliabilityLibFuzzerTarget.swift
//
// (the decoder and the items it validates need nothing but the standard library). In the test
// target it is compiled too, as an ordinary function that the seeded fuzzer does not call.
#if canImport(AgentLedger)
@testable import AgentLedger
#endif

/// libFuzzer's entry point: the first byte picks the number of events (1 to 4), the rest is a
/// frame payload. Decoding must return events or throw; a decoded batch must encode again.
@_cdecl("LLVMFuzzerTestOneInput")
func reliabilityFuzzEventDecoder(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    guard let start, count >= 2 else {
        return 0
    }
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    let eventCount = Int(bytes[0] % 4) + 1
    if let events = try? EventCodec.decode(Array(bytes[1...]), firstSequence: 1, count: eventCount) {
        let again = try? EventCodec.decode(EventCodec.encode(events), firstSequence: 1, count: eventCount)
        precondition(again == events, "decoded events do not survive a round trip")
    }
    return 0
}
