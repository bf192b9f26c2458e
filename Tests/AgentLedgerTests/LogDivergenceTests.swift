import AgentLedgerTestSupport
import Foundation
import GRDB
import Testing

@testable import AgentLedger

/// A copy of a store that went on writing on its own has the same first frame, so the same
/// ``LogIdentity``: its log put in place of the original's must still not be caught up on top
/// of the original's read model (``LogDivergence``).
@Suite("Log divergence")
struct LogDivergenceTests {
    /// The items every store here starts with, before the copy.
    private static let shared = (0..<3).map { ItemFactory.user("shared \($0)") }

    /// A store with three shared events then two of its own (`mine 0`, `mine 1`), and a copy
    /// of it taken after the shared events that then added `other 0` ... as `otherEvents` events.
    /// With `sameClock`, both stamp their own events with one fixed time, so that only the
    /// hashes tell the two histories apart.
    private static func divergedStores(
        otherEvents: Int,
        sameClock: Bool = false
    ) async throws -> (mine: TemporaryStore, other: TemporaryStore) {
        let mine = try TemporaryStore()
        let other = try TemporaryStore()
        var ledger = try await mine.open()
        for item in shared {
            try await ledger.session("s").addItems([item])
        }
        try await ledger.close()
        try FileManager.default.removeItem(atPath: other.path)
        try FileManager.default.copyItem(atPath: mine.path, toPath: other.path)
        let fixed: @Sendable () -> Int64 = { 1_800_000_000_000_000 }
        for (store, name, count) in [(mine, "mine", 2), (other, "other", otherEvents)] {
            ledger = try await store.open { options in
                if sameClock {
                    options.clock = fixed
                }
            }
            for index in 0..<count {
                try await ledger.session("s").addItems([ItemFactory.user("\(name) \(index)")])
            }
            try await ledger.close()
        }
        return (mine, other)
    }

    /// Deletes the head a clean close recorded in the read model of the store at `path`, as a
    /// crash leaves it.
    static func forgetClosedHead(_ path: String) async throws {
        let model = try DatabaseQueue(path: path + "/" + ReadModel.fileName)
        try await model.write { db in
            try db.execute(sql: "DELETE FROM ledger_meta WHERE key = ?", arguments: [LogDivergence.closedHeadKey])
        }
        try model.close()
    }

    /// One case of ``divergedLog(_:)``: how many events the copy wrote after the shared ones
    /// (the store wrote 2), whether both stamped them with the same fixed time, and whether the
    /// store's read model keeps the head its clean close recorded.
    struct DivergedCase: Sendable, CustomTestStringConvertible {
        let otherEvents: Int
        let sameClock: Bool
        let keepClosedHead: Bool

        var testDescription: String {
            "\(otherEvents) events in the copy\(sameClock ? ", same clock" : "")"
                + (keepClosedHead ? ", head recorded" : ", no head")
        }
    }

    @Test(
        "a diverged copy's log, of the same length or longer, in place of the store's: the open rebuilds from it instead of catching up, through the recorded head (even when both clocks stamped the same times) or the time of the last event",
        arguments: [
            DivergedCase(otherEvents: 2, sameClock: false, keepClosedHead: true),
            DivergedCase(otherEvents: 2, sameClock: false, keepClosedHead: false),
            DivergedCase(otherEvents: 4, sameClock: false, keepClosedHead: true),
            DivergedCase(otherEvents: 4, sameClock: true, keepClosedHead: true),
            DivergedCase(otherEvents: 4, sameClock: false, keepClosedHead: false),
        ]
    )
    func divergedLog(_ diverged: DivergedCase) async throws {
        let (mine, other) = try await Self.divergedStores(
            otherEvents: diverged.otherEvents,
            sameClock: diverged.sameClock
        )
        defer {
            mine.remove()
            other.remove()
        }
        if !diverged.keepClosedHead {
            try await Self.forgetClosedHead(mine.path)
        }
        try RebuildTests.replaceLog(of: mine, withLogOf: other)
        let capture = ReliabilityLogCapture()
        let ledger = try await mine.open { $0.logger = capture.logger }
        let expected =
            diverged.keepClosedHead
            ? "the frame ending at event 5 has the hash" : "the log's event 5, the last the model applied"
        #expect(capture.messages.contains { $0.contains(expected) }, "\(capture.messages)")
        #expect(!capture.messages.contains { $0.contains("catching up") }, "\(capture.messages)")
        #expect(
            try await ledger.session("s").items()
                == Self.shared + (0..<diverged.otherEvents).map { ItemFactory.user("other \($0)") }
        )
        #expect(try await ledger.verifyReadModel() == [])
        try await ledger.close()
    }

    @Test(
        "the store's own log is never taken for a diverged one: after a clean close, without the recorded head, and when the model is behind, with or without it"
    )
    func ownLog() async throws {
        let store = try TemporaryStore()
        defer { store.remove() }
        var ledger = try await store.open()
        for item in Self.shared {
            try await ledger.session("s").addItems([item])
        }
        try await ledger.close()
        // Several events in one microsecond (the model records the last of them at that time),
        // later than the real clock's: the events after them go back in time. The last is a pop.
        ledger = try await store.open { $0.clock = { 1_800_000_000_000_000 } }
        try await ledger.session("t").addItems([ItemFactory.user("t 0")])
        try await ledger.session("t").addItems([ItemFactory.user("t 1")])
        _ = try await ledger.session("t").popItem()
        try await ledger.close()
        let views = store.path + "/" + ReadModel.fileName
        #expect(
            try RebuildTests.sqlite(views, "SELECT value FROM ledger_meta WHERE key = 'closed_head'").hasPrefix("6 ")
        )

        var later = 0
        func reopen() async throws -> [String] {
            let capture = ReliabilityLogCapture()
            let ledger = try await store.open { $0.logger = capture.logger }
            #expect(try await ledger.session("s").items().count == Self.shared.count + later)
            #expect(try await ledger.session("t").items() == [ItemFactory.user("t 0")])
            #expect(try await ledger.verifyReadModel() == [])
            try await ledger.close()
            return capture.messages
        }
        var messages = try await reopen()
        #expect(!messages.contains { $0.contains("rebuilding") }, "\(messages)")
        try await Self.forgetClosedHead(store.path)
        messages = try await reopen()
        #expect(!messages.contains { $0.contains("rebuilding") }, "\(messages)")

        // A model two events behind its own log (a copy of it from before them) is caught up.
        for keepClosedHead in [true, false] {
            if !keepClosedHead {
                try await Self.forgetClosedHead(store.path)
            }
            let saved = store.path + "/saved.sqlite"
            try FileManager.default.copyItem(atPath: views, toPath: saved)
            ledger = try await store.open()
            for _ in 0..<2 {
                try await ledger.session("s").addItems([ItemFactory.user("later \(later)")])
                later += 1
            }
            try await ledger.close()
            try FileManager.default.removeItem(atPath: views)
            try FileManager.default.moveItem(atPath: saved, toPath: views)
            messages = try await reopen()
            #expect(!messages.contains { $0.contains("rebuilding") }, "keep head \(keepClosedHead): \(messages)")
            #expect(messages.contains { $0.contains("catching up") }, "keep head \(keepClosedHead): \(messages)")
        }
    }
}
