import AgentLedger
import AgentLedgerTestSupport
import Foundation
import Testing

/// Issue 4's property test: seeded random sequences of add / pop / clear / branch create /
/// switch / delete / usage across a few sessions, checked after every step against
/// ``SessionModel`` (every read, the head sequence, and errors with their codes); then as of
/// past positions; then the read model is deleted, rebuilt on open, and must answer the same.
///
/// A failure names its seed: `AGENTLEDGER_SEED=<seed> swift test --filter PropertyTests` repeats
/// it alone (`AGENTLEDGER_STEPS` changes the number of steps).
@Suite("Property: random operations against the session model")
struct PropertyTests {
    /// One random operation on one session.
    enum Operation: Sendable, CustomStringConvertible {
        case add([SessionItem])
        case pop
        case clear
        case branchFromTurn(Int, name: String?)
        case branchFromText(String, name: String?)
        case switchTo(String)
        case delete(String, force: Bool)
        /// `recordUsage` when `throwing`, else `storeRunUsage`.
        case usage(RunUsage, throwing: Bool)
        case read(limit: Int)

        var description: String {
            switch self {
            case .add(let items): "add \(items.map { String($0.json.prefix(60)) })"
            case .pop: "pop"
            case .clear: "clear"
            case .branchFromTurn(let turn, let name): "createBranch(fromTurn: \(turn), named: \(name.debugDescription))"
            case .branchFromText(let text, let name):
                "createBranch(fromTurnContaining: \(text.debugDescription), named: \(name.debugDescription))"
            case .switchTo(let name): "switchToBranch(\(name.debugDescription))"
            case .delete(let name, let force): "deleteBranch(\(name.debugDescription), force: \(force))"
            case .usage(let usage, let throwing): "\(throwing ? "recordUsage" : "storeRunUsage")(\(usage))"
            case .read(let limit): "items(limit: \(limit))"
            }
        }
    }

    static let seeds: [UInt64] =
        ProcessInfo.processInfo.environment["AGENTLEDGER_SEED"].flatMap { UInt64($0) }.map { [$0] } ?? [1, 2, 3, 4]
    static let steps = ProcessInfo.processInfo.environment["AGENTLEDGER_STEPS"].flatMap { Int($0) } ?? 300

    /// The item size limit of the stores these tests open (some generated items are larger).
    static let maxItemBytes = 2048
    /// The clock of these stores: constant, so generated branch names collide and get suffixes.
    static let clockMicros: Int64 = 1_767_225_600_000_000
    /// Terms `findTurns` is checked with: literal `%`, `_`, quotes and backslashes, case, and "".
    static let findTerms = ["ASK 1", "%", "_", "'", "\\", "\"", "weather", "snake_CASE", ""]
    static let words = [
        "weather", "100%", "snake_case", "it's", #"back\slash"#, #"say "hi""#, "Plain", "under_score", "50% off",
    ]
    static let branchNames: [String?] = [
        nil, nil, nil, "b1", "b2", "b3", "b4", "b5", "main", " ", "", "x\u{0}y", "branch \u{1F333}",
        String(repeating: "n", count: 300),
    ]

    static func options(durability: Durability = .none) -> LedgerOptions {
        LedgerOptions(durability: durability, maxItemBytes: maxItemBytes, clock: { clockMicros })
    }

    // MARK: - Generation

    static func randomUserText(_ random: inout SeededRandom) -> String {
        var text = "ask \(Int.random(in: 1...30, using: &random))"
        for _ in 0..<Int.random(in: 1...3, using: &random) {
            text += " " + words.randomElement(using: &random)!
        }
        if Int.random(in: 0..<10, using: &random) == 0 {
            text += " " + String(repeating: "long words ", count: 12)
        }
        return text
    }

    static func randomItem(_ random: inout SeededRandom) -> SessionItem {
        let id = "c\(Int.random(in: 1...99, using: &random))"
        switch Int.random(in: 0..<100, using: &random) {
        case 0..<34:
            return ItemFactory.user(randomUserText(&random))
        case 34..<48:
            return ItemFactory.assistant("answer \(Int.random(in: 1...99, using: &random))")
        case 48..<58:
            return ItemFactory.functionCall(
                ["get_weather", "search", "tool_search"].randomElement(using: &random)!,
                callID: id
            )
        case 58..<61:
            return ItemFactory.item([
                "type": "function_call", "name": "find", "namespace": "docs", "call_id": .string(id),
            ])
        case 61..<63:
            return ItemFactory.item([
                "type": "function_call", "name": "same", "namespace": "same", "call_id": .string(id),
            ])
        case 63..<71:
            return ItemFactory.functionOutput("result", callID: id)
        case 71..<74:
            return ItemFactory.item(["type": "mcp_call", "server_label": "files", "name": "read", "id": .string(id)])
        case 74..<76:
            return ItemFactory.item(["type": "mcp_approval_request", "server_label": "files", "id": .string(id)])
        case 76..<79:
            return ItemFactory.item(["type": "web_search_call", "id": .string(id), "status": "completed"])
        case 79..<81:
            return ItemFactory.item(["type": "computer_call", "id": .string(id)])
        case 81..<84:
            return ItemFactory.item(["type": "tool_search_call", "id": .string(id)])
        case 84..<88:
            return ItemFactory.item(["type": "tool_search_output", "id": .string(id)])
        case 88..<90:
            return ItemFactory.item(["type": "custom_tool_call", "name": "grep", "input": "x", "call_id": .string(id)])
        case 90..<93:
            return ItemFactory.item(["type": "reasoning", "summary": []])
        case 93..<96:
            return ItemFactory.item(["role": "system", "content": "be brief"])
        default:
            return ItemFactory.item(["note": .string("no role or type \(id)")])
        }
    }

    static func randomItems(_ random: inout SeededRandom) -> [SessionItem] {
        let roll = Int.random(in: 0..<100, using: &random)
        if roll < 4 {
            return []
        }
        var items = (0..<Int.random(in: 1...4, using: &random)).map { _ in randomItem(&random) }
        if roll < 8 {
            let big = ItemFactory.user("big " + String(repeating: "x", count: maxItemBytes))
            items.insert(big, at: Int.random(in: 0...items.count, using: &random))
        }
        return items
    }

    static func randomUsage(_ random: inout SeededRandom) -> RunUsage {
        let input = Int.random(in: 0...100, using: &random)
        let output = Int.random(in: 0...100, using: &random)
        let details: String?
        switch Int.random(in: 0..<10, using: &random) {
        case 0..<5: details = nil
        case 5..<9: details = #"{"cached_tokens":\#(Int.random(in: 0...9, using: &random))}"#
        default: details = "{not json"
        }
        return RunUsage(
            requests: Int.random(in: 0...3, using: &random),
            inputTokens: input,
            outputTokens: output,
            totalTokens: input + output,
            detailsJSON: details
        )
    }

    static func randomOperation(_ model: SessionModel, _ random: inout SeededRandom) -> Operation {
        let turns = model.branches.first(where: \.isCurrent)?.userTurnCount ?? 0
        let name = branchNames.randomElement(using: &random)!
        switch Int.random(in: 0..<100, using: &random) {
        case 0..<30:
            return .add(randomItems(&random))
        case 30..<42:
            return .pop
        case 42..<45:
            return .clear
        case 45..<57:
            return .branchFromTurn(Int.random(in: 0...(turns + 1), using: &random), name: name)
        case 57..<61:
            let text = (findTerms + ["ask 2", "nothing like this"]).randomElement(using: &random)!
            return .branchFromText(text, name: name)
        case 61..<72:
            return .switchTo((model.usedBranchNames + ["main", "main", "nope", " "]).randomElement(using: &random)!)
        case 72..<80:
            let target = (model.usedBranchNames + ["main", "nope", ""]).randomElement(using: &random)!
            return .delete(target, force: Bool.random(using: &random))
        case 80..<92:
            return .usage(randomUsage(&random), throwing: Int.random(in: 0..<10, using: &random) < 7)
        default:
            return .read(limit: Int.random(in: -1...6, using: &random))
        }
    }

    // MARK: - Running

    /// What an operation answered: a value in words, or an error code.
    typealias Answer = (value: String?, code: LedgerError.Code?)

    /// Runs `operation` on the ledger's session.
    static func apply(_ operation: Operation, to session: LedgerSession) async -> Answer {
        do {
            switch operation {
            case .add(let items):
                try await session.addItems(items)
                return ("ok", nil)
            case .pop:
                return (try await session.popItem()?.json ?? "nil", nil)
            case .clear:
                try await session.clearSession()
                return ("ok", nil)
            case .branchFromTurn(let turn, let name):
                return (try await session.createBranch(fromTurn: turn, named: name), nil)
            case .branchFromText(let text, let name):
                return (try await session.createBranch(fromTurnContaining: text, named: name), nil)
            case .switchTo(let name):
                try await session.switchToBranch(name)
                return ("ok", nil)
            case .delete(let name, let force):
                try await session.deleteBranch(name, force: force)
                return ("ok", nil)
            case .usage(let usage, let throwing):
                if throwing {
                    return (try await session.recordUsage(usage) == nil ? "none" : "recorded", nil)
                }
                await session.storeRunUsage(usage)
                return ("ok", nil)
            case .read(let limit):
                return (try await session.items(limit: limit).map(\.json).joined(separator: "\n"), nil)
            }
        } catch let error as LedgerError {
            return (nil, error.code)
        } catch {
            return ("unexpected error \(error)", nil)
        }
    }

    /// Runs `operation` on the model; also says whether the ledger must write an event.
    static func apply(_ operation: Operation, to model: inout SessionModel) -> (answer: Answer, writes: Bool) {
        do {
            switch operation {
            case .add(let items):
                return (("ok", nil), try model.add(items))
            case .pop:
                let item = model.pop()
                return ((item?.json ?? "nil", nil), item != nil)
            case .clear:
                return (("ok", nil), model.clear())
            case .branchFromTurn(let turn, let name):
                let created = try model.createBranch(fromTurn: turn, named: name, unixSeconds: clockMicros / 1_000_000)
                return ((created, nil), true)
            case .branchFromText(let text, let name):
                let created = try model.createBranch(
                    fromTurnContaining: text,
                    named: name,
                    unixSeconds: clockMicros / 1_000_000
                )
                return ((created, nil), true)
            case .switchTo(let name):
                return (("ok", nil), try model.switchToBranch(name))
            case .delete(let name, let force):
                try model.deleteBranch(name, force: force)
                return (("ok", nil), true)
            case .usage(let usage, let throwing):
                if throwing {
                    let written = try model.recordUsage(usage)
                    return ((written ? "recorded" : "none", nil), written)
                }
                // storeRunUsage never throws: invalid details are logged and nothing is recorded.
                let written = (try? model.recordUsage(usage)) ?? false
                return (("ok", nil), written)
            case .read(let limit):
                return ((try model.items(limit: limit).map(\.json).joined(separator: "\n"), nil), false)
            }
        } catch let error as LedgerError {
            return ((nil, error.code), false)
        } catch {
            return (("unexpected error \(error)", nil), false)
        }
    }

    /// The result of ``run(ledger:sessions:seed:steps:checkHead:keepHistory:)``.
    typealias RunResult = (
        models: [String: SessionModel], events: UInt64, history: [UInt64: [String: SessionModel]], failed: Bool
    )

    /// Runs `steps` random operations on `sessions`, checking the ledger against the model after
    /// each, and stops at the first disagreement (recorded as an issue naming the seed and step).
    ///
    /// - Parameters:
    ///   - checkHead: whether the head sequence is checked after each step (only when nothing
    ///     else writes to the store meanwhile).
    ///   - keepHistory: whether to keep the models after each event, by sequence number (also
    ///     needs nothing else writing).
    static func run(
        ledger: Ledger,
        sessions: [String],
        seed: UInt64,
        steps: Int,
        checkHead: Bool,
        keepHistory: Bool
    ) async throws -> RunResult {
        var random = SeededRandom(seed: seed)
        var models = Dictionary(uniqueKeysWithValues: sessions.map { ($0, SessionModel(maxItemBytes: maxItemBytes)) })
        var history: [UInt64: [String: SessionModel]] = keepHistory ? [0: models] : [:]
        var events: UInt64 = 0
        let head0 = try await ledger.headSequence()
        for step in 0..<steps {
            let id = sessions.randomElement(using: &random)!
            let operation = randomOperation(models[id]!, &random)
            let context = "seed \(seed), step \(step), session \(id): \(operation)"
            let (expected, writes) = apply(operation, to: &models[id]!)
            let actual = await apply(operation, to: ledger.session(id))
            if actual.value != expected.value || actual.code != expected.code {
                let ledgerAnswer = "\(actual.value.debugDescription) / \(actual.code.map(\.name) ?? "no error")"
                let modelAnswer = "\(expected.value.debugDescription) / \(expected.code.map(\.name) ?? "no error")"
                Issue.record("\(context): the ledger answered \(ledgerAnswer), the model \(modelAnswer)")
                return (models, events, history, true)
            }
            if writes {
                events += 1
                if keepHistory {
                    history[head0 + events] = models
                }
            }
            if checkHead {
                let head = try await ledger.headSequence()
                if head != head0 + events {
                    Issue.record("\(context): head \(head), the model expects \(head0 + events)")
                    return (models, events, history, true)
                }
            }
            let checked = step % 25 == 24 ? sessions : [id]
            for session in checked {
                let differences = try await compare(ledger.session(session), with: models[session]!)
                if !differences.isEmpty {
                    let items = (try? models[session]!.items().map(\.json)) ?? []
                    let message =
                        "\(context): session \(session) differs:\n\(differences.joined(separator: "\n"))\n"
                        + "the model's current branch holds:\n\(items.joined(separator: "\n"))"
                    Issue.record("\(message)")
                    return (models, events, history, true)
                }
            }
        }
        return (models, events, history, false)
    }

    /// The differences between every read of `session` (as of `asOf`) and `model`.
    static func compare(_ session: LedgerSession, with model: SessionModel, asOf: AsOf? = nil) async throws -> [String]
    {
        let extra = model.usedBranchNames + ["never made"]
        let actual = try await SessionModel.Snapshot.capture(
            session,
            asOf: asOf,
            extraBranches: extra,
            findTerms: findTerms
        )
        return actual.differences(from: model.snapshot(extraBranches: extra, findTerms: findTerms))
    }

    /// Every full read (``everyRead(of:asOf:branches:)``) of every session in `models`.
    static func readAll(
        _ ledger: Ledger,
        _ models: [String: SessionModel]
    ) async throws -> [String: [String: AnyHashable]] {
        var reads: [String: [String: AnyHashable]] = [:]
        for (id, model) in models {
            reads[id] = try await everyRead(of: ledger.session(id), branches: model.usedBranchNames + ["never made"])
        }
        return reads
    }

    @Test(
        "random operations agree with the model after every step, as of every past position, and after a rebuild",
        arguments: seeds
    )
    func randomOperations(seed: UInt64) async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        let sessions = ["alpha", "beta", "gamma"]
        var ledger = try await Ledger.open(at: store.path, options: Self.options())
        let result: RunResult
        do {
            result = try await Self.run(
                ledger: ledger,
                sessions: sessions,
                seed: seed,
                steps: Self.steps,
                checkHead: true,
                keepHistory: true
            )
        } catch {
            try? await ledger.close()
            throw error
        }
        guard !result.failed else {
            try await ledger.close()
            return
        }
        #expect(result.events > UInt64(Self.steps / 3), "seed \(seed): the operations wrote events")

        // As of past positions: the model as it was right after that event.
        let head = try await ledger.headSequence()
        for sequence in Array(stride(from: 0, through: head, by: 4)) + [head] {
            for id in sessions {
                let differences = try await Self.compare(
                    ledger.session(id),
                    with: result.history[sequence]![id]!,
                    asOf: .sequence(sequence)
                )
                #expect(
                    differences.isEmpty,
                    "seed \(seed), \(id) as of sequence \(sequence):\n\(differences.joined(separator: "\n"))"
                )
            }
        }

        // Delete the read model; opening rebuilds it from the log, and every query answers the same.
        #expect(try await ledger.verifyReadModel() == [], "seed \(seed)")
        #expect(try await ClearedFloorTests.floorProblems(storePath: store.path, ledger: ledger) == [], "seed \(seed)")
        let before = try await Self.readAll(ledger, result.models)
        try await ledger.close()
        for suffix in ["", "-wal", "-shm"] {
            try? FileManager.default.removeItem(atPath: store.path + "/views.sqlite" + suffix)
        }
        ledger = try await Ledger.open(at: store.path, options: Self.options())
        let after = try await Self.readAll(ledger, result.models)
        for id in sessions {
            expectSameReads(after[id]!, before[id]!, "seed \(seed), \(id) after the rebuild")
            let differences = try await Self.compare(ledger.session(id), with: result.models[id]!)
            #expect(
                differences.isEmpty,
                "seed \(seed), \(id) after the rebuild:\n\(differences.joined(separator: "\n"))"
            )
        }
        #expect(try await ledger.headSequence() == head)
        try await ledger.close()
    }
}
