import AgentLedger
import AgentLedgerTestSupport
import Foundation
import Testing

/// Helpers shared by the Reliability suites (crash safety, faults and bad input; RELIABILITY.md).
enum ReliabilityHelpers {
    /// Every event of the store's log, oldest first.
    static func events(_ ledger: Ledger) async throws -> [LedgerEvent] {
        var events: [LedgerEvent] = []
        for try await event in try ledger.events() {
            events.append(event)
        }
        return events
    }

    /// What replaying events on the `main` branch gives: each session's items, and every event
    /// that does not fit (a pop of another item than the newest, a kind this model ignores).
    struct Replay {
        /// The items of each session, oldest first.
        var items: [String: [SessionItem]] = [:]
        /// Events that contradict the model.
        var problems: [String] = []
    }

    /// Replays add, pop and clear events of sessions that stay on `main`.
    static func replay(_ events: [LedgerEvent]) -> Replay {
        var replay = Replay()
        for event in events {
            switch event.payload {
            case .itemsAdded(let items):
                replay.items[event.sessionID, default: []].append(contentsOf: items)
            case .itemPopped(let item, _, _):
                if replay.items[event.sessionID]?.last == item {
                    replay.items[event.sessionID]?.removeLast()
                } else {
                    replay.problems.append("event \(event.sequence) pops \(item.json), which is not the newest item")
                }
            case .sessionCleared:
                replay.items[event.sessionID] = []
            default:
                replay.problems.append("event \(event.sequence) is a \(event.kind), which the model does not replay")
            }
        }
        return replay
    }

    /// The error `body` throws, or `nil` when it returns.
    static func error(_ body: () async throws -> Void) async -> LedgerError? {
        do {
            try await body()
            return nil
        } catch let error as LedgerError {
            return error
        } catch {
            Issue.record("expected a LedgerError, got \(error)")
            return nil
        }
    }

    /// The content of every file in the store's `log/` directory, by name.
    static func logFiles(_ store: String) throws -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        for name in try LogFileBytes.list(store + "/log") {
            files[name] = try LogFileBytes.read(store + "/log/" + name)
        }
        return files
    }

    /// The segment files of the store, in log order.
    static func segments(_ store: String) throws -> [String] {
        try LogFileBytes.list(store + "/log").filter { $0.hasSuffix(".seg") }
    }

    /// Removes the read model (`views.sqlite` and its `-wal` and `-shm` files).
    static func removeReadModel(_ store: String) {
        for suffix in ["", "-wal", "-shm"] {
            try? FileManager.default.removeItem(atPath: store + "/views.sqlite" + suffix)
        }
    }

    /// The string `"content"` member of an item, when it has one.
    static func content(_ item: SessionItem) -> String? {
        if case .object(let fields) = item.value, case .string(let text) = fields["content"] {
            return text
        }
        return nil
    }

    /// Seconds elapsed since `start`, as a number.
    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// The environment variable `name` as an integer, or `defaultValue`.
    static func environmentInt(_ name: String, default defaultValue: Int) -> Int {
        ProcessInfo.processInfo.environment[name].flatMap(Int.init) ?? defaultValue
    }
}
