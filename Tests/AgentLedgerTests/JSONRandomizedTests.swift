import Testing

@testable import AgentLedger

/// SplitMix64: a small, seeded generator so that a failure repeats.
private struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}

@Suite("JSON randomized")
struct JSONRandomizedTests {
    private static let scalarPools: [[Unicode.Scalar]] = [
        Array("abcdefghijklmnopqrstuvwxyz ABCXYZ0123456789 -_%'".unicodeScalars),
        Array("\"\\/\u{0}\u{1}\u{8}\u{9}\u{A}\u{C}\u{D}\u{1F}\u{7F}".unicodeScalars),
        Array("éßçΣσςж中文日本語\u{301}\u{2028}\u{2029}\u{FEFF}\u{FFFF}".unicodeScalars),
        Array("😀👍🏽🇫🇷\u{10000}\u{10FFFF}".unicodeScalars),
    ]

    private static func randomString(_ random: inout SeededGenerator) -> String {
        var scalars = String.UnicodeScalarView()
        for _ in 0..<Int.random(in: 0...12, using: &random) {
            let pool = scalarPools.randomElement(using: &random)!
            scalars.append(pool.randomElement(using: &random)!)
        }
        return String(scalars)
    }

    private static func randomNumber(_ random: inout SeededGenerator) -> Double {
        switch Int.random(in: 0..<4, using: &random) {
        case 0:
            return Double(Int.random(in: -1000...1000, using: &random))
        case 1:
            return Double(Int64.random(in: -(1 << 53)...(1 << 53), using: &random))
        case 2:
            return Double.random(in: -1e6...1e6, using: &random)
        default:
            while true {
                let number = Double(bitPattern: random.next())
                if number.isFinite {
                    return number
                }
            }
        }
    }

    private static func randomValue(_ random: inout SeededGenerator, depth: Int = 0) -> JSONValue {
        let kind = Int.random(in: 0..<(depth < 4 ? 7 : 5), using: &random)
        switch kind {
        case 0:
            return .null
        case 1:
            return .bool(Bool.random(using: &random))
        case 2:
            return .number(randomNumber(&random))
        case 3, 4:
            return .string(randomString(&random))
        case 5:
            return .array(
                (0..<Int.random(in: 0...4, using: &random)).map { _ in randomValue(&random, depth: depth + 1) }
            )
        default:
            return randomObject(&random, depth: depth + 1)
        }
    }

    private static func randomObject(_ random: inout SeededGenerator, depth: Int) -> JSONValue {
        var members: [String: JSONValue] = [:]
        for _ in 0..<Int.random(in: 0...4, using: &random) {
            members[randomString(&random)] = randomValue(&random, depth: depth)
        }
        return .object(members)
    }

    /// Writes `value` with random whitespace, random member order and random `\u` escapes (as
    /// surrogate pairs above U+FFFF), so that the parser sees many spellings of the same value.
    private static func looseText(_ value: JSONValue, _ random: inout SeededGenerator) -> String {
        func space() -> String {
            String(
                (0..<Int.random(in: 0...2, using: &random)).map { _ in
                    [" ", "\n", "\t", "\r"].randomElement(using: &random)!
                }
            )
        }
        func string(_ text: String) -> String {
            var output = "\""
            for scalar in text.unicodeScalars {
                let mustEscape = scalar.value < 0x20 || scalar == "\"" || scalar == "\\"
                if mustEscape || Int.random(in: 0..<4, using: &random) == 0 {
                    if scalar.value > 0xFFFF {
                        let offset = scalar.value - 0x10000
                        output += unicodeEscape(0xD800 + (offset >> 10)) + unicodeEscape(0xDC00 + (offset & 0x3FF))
                    } else {
                        output += unicodeEscape(scalar.value)
                    }
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
            return output + "\""
        }
        func unicodeEscape(_ unit: UInt32) -> String {
            let digits = String(unit, radix: 16, uppercase: Bool.random(using: &random))
            return "\\u" + String(repeating: "0", count: 4 - digits.count) + digits
        }
        switch value {
        case .string(let text):
            return string(text)
        case .array(let elements):
            return "[" + space() + elements.map { looseText($0, &random) + space() }.joined(separator: "," + space())
                + "]"
        case .object(let members):
            let parts = members.shuffled(using: &random).map { name, member in
                string(name) + space() + ":" + space() + looseText(member, &random) + space()
            }
            return "{" + space() + parts.joined(separator: "," + space()) + "}"
        case .null, .bool, .number:
            return value.jsonText
        }
    }

    @Test("random values round-trip through text (seeded)")
    func randomRoundTrip() throws {
        var random = SeededGenerator(state: 0x5EED_0001)
        for _ in 0..<3000 {
            let value = Self.randomValue(&random)
            let text = value.jsonText
            let parsed = try JSONValue(parsing: text)
            #expect(parsed == value, "\(text)")
            #expect(parsed.jsonText == text)
            let loose = Self.looseText(value, &random)
            #expect(try JSONValue(parsing: loose) == value, "\(loose)")
        }
    }

    @Test("random objects make items whose value and text round-trip (seeded)")
    func randomItems() throws {
        var random = SeededGenerator(state: 0x5EED_0002)
        for _ in 0..<1000 {
            let value = Self.randomObject(&random, depth: 1)
            let item = try SessionItem(value)
            #expect(item.json == value.jsonText)
            #expect(item.value == value)
            let loose = Self.looseText(value, &random)
            let looseItem = try SessionItem(json: loose)
            #expect(looseItem.json == loose)
            #expect(looseItem.value == value)
        }
    }

    private static let seedItems: [String] = [
        #"{"role":"user","content":"What's the weather in Paris? \u00e9 \ud83d\ude00"}"#,
        #"{"role":"user","content":[{"type":"input_text","text":"hi"},{"type":"input_image","image_url":"x"}]}"#,
        #"{"type":"function_call","name":"get_weather","namespace":"wx","arguments":"{\"city\":\"Paris\"}","call_id":"c1"}"#,
        #"{"type":"reasoning","summary":[{"type":"summary_text","text":"thinking"}],"id":"rs_1"}"#,
        #"{"type":"mcp_call","server_label":"docs","name":"search","arguments":"{}","output":"ok","error":null}"#,
        #"{"type":"web_search_call","action":{"type":"search","query":"swift json"},"status":"completed"}"#,
        #"{ "id" : 12.5e-3 , "flags" : [ true , false , null , -0 ] , "nested" : { "a" : [ [ ] , { } ] } }"#,
    ]

    private static let interestingBytes: [UInt8] =
        Array(#""\{}[],:0123456789eE.-+u tfn/"#.utf8) + [
            0x00, 0x09, 0x0A, 0x1F, 0x7F, 0x80, 0xBF, 0xC0, 0xC3, 0xE0, 0xED, 0xF0, 0xF4, 0xF5, 0xFF,
        ]

    @Test("mutated documents: scan, validation and full parse agree (seeded)")
    func mutationsAgree() throws {
        var random = SeededGenerator(state: 0x5EED_0003)
        var seeds = Self.seedItems.map { Array($0.utf8) }
        for _ in 0..<20 {
            seeds.append(Array(Self.looseText(Self.randomObject(&random, depth: 1), &random).utf8))
        }
        var accepted = 0
        for _ in 0..<20_000 {
            var bytes = seeds.randomElement(using: &random)!
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let index = Int.random(in: 0..<max(bytes.count, 1), using: &random)
                switch Int.random(in: 0..<4, using: &random) {
                case 0 where !bytes.isEmpty:
                    bytes[index] = Self.interestingBytes.randomElement(using: &random)!
                case 1:
                    bytes.insert(Self.interestingBytes.randomElement(using: &random)!, at: min(index, bytes.count))
                case 2 where !bytes.isEmpty:
                    bytes.remove(at: index)
                default:
                    bytes.removeLast(min(bytes.count, Int.random(in: 0...3, using: &random)))
                }
            }
            let validation = JSONParserTests.validationError(bytes)
            #expect(JSONParserTests.parseError(bytes) == validation)
            do {
                let item = try SessionItem(jsonBytes: bytes)
                accepted += 1
                #expect(validation == nil)
                #expect(item.value == (try JSONParser.parse(bytes)))
            } catch let error as LedgerError {
                #expect(error.code == .invalidItem)
                if let validation {
                    #expect(error.underlying as? JSONParseError == validation)
                } else {
                    #expect(error.message.hasPrefix("item is not a JSON object"), "\(error)")
                }
            }
        }
        // The mutations are mild enough that some documents stay valid, and most do not.
        #expect(accepted > 100)
        #expect(accepted < 15_000)
    }
}
