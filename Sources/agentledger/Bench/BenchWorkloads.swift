import AgentLedger
import Foundation

/// The benchmark workloads of issue 7, each on a fresh temporary store.
enum BenchWorkloads {
    struct Settings {
        var duration: Duration
        var seed: UInt64
        var durability: Durability
        /// Writers alternate user and assistant items on a branch and record usage (`--feature-mix`).
        var featureMix: Bool
        /// The sessions of (a) and (g): task t works on session `{sessionPrefix}{t % sessions}`.
        var sessions: Int
        var sessionPrefix: String
        var profileWriter: Bool
        var logPreallocation: Int
        var readerCount: Int
        var queryQoS: DispatchQoS
        var compressionLevel: Int
        var directory: String
        var items: Int
        var corpus: String?
    }

    static func now() -> UInt64 {
        DispatchTime.now().uptimeNanoseconds
    }

    static func nanoseconds(_ duration: Duration) -> UInt64 {
        UInt64(duration.components.seconds) * 1_000_000_000 + UInt64(duration.components.attoseconds / 1_000_000_000)
    }

    /// (a) and (g): 30 writers adding one item per call and 10 readers reading the last 10
    /// items, over 3 sessions (`settings.sessions`), for a fixed duration: the calls of the SDK's
    /// harness. With `featureMix` (not part of the comparison), writers alternate user and
    /// assistant items (so turns advance), each session works on a branch, and usage is
    /// recorded every 10th call.
    static func concurrent(_ settings: Settings) async throws -> BenchResult {
        let ledger = try await Ledger.open(
            at: settings.directory,
            options: settings.writeOptions
        )
        let sessions = (0..<settings.sessions).map { ledger.session(settings.sessionPrefix + "\($0)") }
        if settings.featureMix {
            for session in sessions {
                try await session.addItems([userItem(0, 0), assistantItem(0, 0)])
                try await session.createBranch(fromTurn: 1, named: "bench")
            }
        }
        let fdsStart = DescriptorSampler.count()
        let sampler = DescriptorSampler()
        var order = Array(0..<40)
        var generator = SeededGenerator(seed: settings.seed)
        order.shuffle(using: &generator)
        let start = now()
        let deadline = start + nanoseconds(settings.duration)
        let mixed = settings.featureMix
        let (writes, reads, errors) = try await withThrowingTaskGroup(of: (Bool, LatencySamples, Int).self) { group in
            for task in order {
                let isWriter = task < 30
                let session = sessions[task % sessions.count]
                group.addTask {
                    var samples = LatencySamples()
                    var errors = 0
                    var call = 0
                    while now() < deadline {
                        let began = now()
                        do {
                            if isWriter {
                                let item = mixed && call % 2 == 1 ? assistantItem(task, call) : userItem(task, call)
                                try await session.addItems([item])
                                if mixed && call % 10 == 9 {
                                    try await session.recordUsage(
                                        RunUsage(requests: 1, inputTokens: 10, outputTokens: 5, totalTokens: 15)
                                    )
                                }
                            } else {
                                _ = try await session.items(limit: 10)
                            }
                            samples.record(now() - began)
                        } catch {
                            errors += 1
                        }
                        call += 1
                        if !isWriter {
                            // A suspension point, so that readers cannot starve the writers'
                            // continuations on a two-thread pool.
                            await Task.yield()
                        }
                    }
                    return (isWriter, samples, errors)
                }
            }
            var writes = LatencySamples()
            var reads = LatencySamples()
            var errors = 0
            for try await (isWriter, samples, taskErrors) in group {
                if isWriter {
                    writes.merge(samples)
                } else {
                    reads.merge(samples)
                }
                errors += taskErrors
            }
            return (writes, reads, errors)
        }
        let elapsed = Double(now() - start) / 1e9
        let profile = try await ledger.writerProfile()
        try await ledger.close()
        let fdsPeak = sampler.stop()
        var result = BenchResult()
        result.set("writes_per_s", Double(writes.count) / elapsed)
        result.set("reads_per_s", Double(reads.count) / elapsed)
        result.set("write_p50_ms", writes.percentileMilliseconds(50))
        result.set("write_p99_ms", writes.percentileMilliseconds(99))
        result.set("read_p50_ms", reads.percentileMilliseconds(50))
        result.set("read_p99_ms", reads.percentileMilliseconds(99))
        result.set("errors", errors)
        result.set("fds_start", fdsStart)
        result.set("fds_peak", fdsPeak)
        result.set("fds_end", DescriptorSampler.count())
        result.set("elapsed_s", elapsed)
        result.record(profile)
        return result
    }

    /// (b): one writer awaiting each call, `itemsPerCall` items per call.
    static func singleWriter(_ settings: Settings, itemsPerCall: Int) async throws -> BenchResult {
        let ledger = try await Ledger.open(
            at: settings.directory,
            options: settings.writeOptions
        )
        let session = ledger.session("single")
        let start = now()
        let deadline = start + nanoseconds(settings.duration)
        var calls = 0
        while now() < deadline {
            let items = (0..<itemsPerCall).map { userItem(0, calls * itemsPerCall + $0) }
            try await session.addItems(items)
            calls += 1
        }
        let elapsed = Double(now() - start) / 1e9
        let profile = try await ledger.writerProfile()
        try await ledger.close()
        var result = BenchResult()
        result.set("calls_per_s", Double(calls) / elapsed)
        result.set("items_per_s", Double(calls * itemsPerCall) / elapsed)
        result.set("elapsed_s", elapsed)
        result.record(profile)
        return result
    }

    /// (c) and (d): reads of the last 20 items and of all items of a 10,000-item session, now
    /// and as of a past sequence number (the same 10,000 items, before 100 more adds and 100
    /// pops). As in the SDK's harness, the two reads alternate (for the first half of the
    /// duration now, for the second as of the past), every answer is checked, and the figures
    /// are the medians per call in milliseconds.
    static func reads(_ settings: Settings) async throws -> BenchResult {
        let ledger = try await Ledger.open(at: settings.directory, options: LedgerOptions(durability: .none))
        let session = ledger.session("big")
        let count = 10_000
        for batch in 0..<10 {
            try await session.addItems((0..<1000).map { userItem(0, batch * 1000 + $0) })
        }
        let past = try await ledger.headSequence()
        for call in 0..<100 {
            try await session.addItems([assistantItem(99, call)])
        }
        for _ in 0..<100 {
            _ = try await session.popItem()
        }
        let last = userItem(0, count - 1)
        var result = BenchResult()
        let share = nanoseconds(settings.duration) / 2
        for (prefix, asOf) in [("", nil), ("asof_", AsOf.sequence(past))] {
            var recent = LatencySamples()
            var everything = LatencySamples()
            let deadline = now() + share
            repeat {
                for (limit, expected) in [(20, 20), (Int.max, count)] {
                    let began = now()
                    let items = try await session.items(limit: limit, asOf: asOf)
                    let elapsed = now() - began
                    guard items.count == expected, items.last == last else {
                        let what = limit == 20 ? "the last 20 items" : "all items"
                        throw BenchError(
                            "\(prefix)\(what): read \(items.count) items, expected \(expected) ending with item 9999"
                        )
                    }
                    if limit == 20 {
                        recent.record(elapsed)
                    } else {
                        everything.record(elapsed)
                    }
                }
            } while now() < deadline
            result.set(prefix + "last20_ms", recent.medianMilliseconds)
            result.set(prefix + "all_ms", everything.medianMilliseconds)
        }
        try await ledger.close()
        return result
    }

    /// (e): rebuild of the read model from a log of `settings.items` corpus items across
    /// `settings.items / 1000` sessions: items/s and peak resident memory of the rebuild on open
    /// (views.sqlite deleted: replay into a new file renamed into place), of the online
    /// `rebuildViews()` that follows (copied into the live file), and of
    /// `Ledger.openRebuildingViews` (what `agentledger rebuild` does when no other process has
    /// the store open: replaced by a new file).
    static func rebuild(_ settings: Settings) async throws -> BenchResult {
        let corpus = try Corpus.load(settings.corpus)
        let sessions = max(1, settings.items / 1000)
        let ledger = try await Ledger.open(at: settings.directory, options: LedgerOptions(durability: .none))
        var next = 0
        for index in 0..<sessions {
            let items = (0..<(settings.items / sessions)).map { _ in
                defer { next += 1 }
                return corpus.items[next % corpus.items.count]
            }
            try await ledger.session("session-\(index)").addItems(items)
        }
        try await ledger.close()
        try FileManager.default.removeItem(atPath: settings.directory + "/views.sqlite")
        var result = BenchResult()
        result.set("items", next)
        result.set("sessions", sessions)
        /// Times `body` and records its seconds, items/s and peak resident memory as `name_*`.
        func timed<T>(_ name: String, _ body: () async throws -> T) async throws -> T {
            Memory.resetPeak()
            let start = now()
            let value = try await body()
            let elapsed = Double(now() - start) / 1e9
            result.set("\(name)_s", elapsed)
            result.set("\(name)_items_per_s", Double(next) / elapsed)
            result.set("\(name)_peak_rss_mb", Double(Memory.peakResidentBytes()) / 1_048_576)
            return value
        }
        let options = LedgerOptions(durability: .none)
        let reopened = try await timed("rebuild") { try await Ledger.open(at: settings.directory, options: options) }
        let check = try await reopened.session("session-0").items(limit: 1).count
        // The online rebuild (`rebuildViews`) copies the new model into the live one through
        // the WAL, so readers keep their snapshot meanwhile.
        try await timed("online_rebuild") { try await reopened.rebuildViews() }
        let live = try await reopened.stats().liveItemCount
        try await reopened.close()
        guard check == 1, live == next else {
            throw BenchError("the rebuilt read model lost items: \(live) of \(next) live")
        }
        // What `agentledger rebuild` does when no other process has the store open: open the
        // store and replace the read model by a new file (lock, recovery and close included).
        try await timed("replacing_rebuild") {
            try await Ledger.openRebuildingViews(at: settings.directory, options: options).close()
        }
        return result
    }

    /// (f): bytes of the log against the raw item JSON, for the Fixtures conversations (each
    /// conversation one add per item, as an agent adds them, and one add per conversation), for
    /// the corpus, and for its second half, which the built-in dictionary was not trained on.
    /// Each with the dictionary (codec 2, the default) and, keys ending in `_codec1`, without.
    static func bytes(_ settings: Settings) async throws -> BenchResult {
        var result = BenchResult()
        let fixtures = try Corpus.fixtures()
        let corpus = try Corpus.load(settings.corpus)
        // The dictionary was trained on the corpus's first 2,500 items (50 conversations).
        let heldOut = Corpus(conversations: Array(corpus.conversations.dropFirst(50)))
        let cases: [(String, Corpus, Int)] = [
            ("fixtures_1_per_call", fixtures, 1), ("fixtures_conversation_per_call", fixtures, 0),
            ("corpus_1_per_call", corpus, 1), ("corpus_100_per_call", corpus, 100),
            ("corpus_held_out_1_per_call", heldOut, 1), ("corpus_held_out_100_per_call", heldOut, 100),
        ]
        // A corpus of 50 conversations or fewer (a small --corpus) leaves nothing held out.
        for (name, items, perCall) in cases where !items.items.isEmpty {
            for dictionary in [true, false] {
                let key = name + (dictionary ? "" : "_codec1")
                try await recordBytes(key, items: items, perCall: perCall, dictionary: dictionary, settings, &result)
            }
        }
        return result
    }

    /// Adds `items` to a new store, `perCall` items per call (0: one call per conversation), and
    /// records its log bytes against their raw JSON bytes under `name`.
    private static func recordBytes(
        _ name: String,
        items: Corpus,
        perCall: Int,
        dictionary: Bool,
        _ settings: Settings,
        _ result: inout BenchResult
    ) async throws {
        let directory = settings.directory + "-" + name
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let options = LedgerOptions(
            durability: .none,
            compressionLevel: settings.compressionLevel,
            compressionDictionary: dictionary
        )
        let ledger = try await Ledger.open(at: directory, options: options)
        for (conversation, conversationItems) in items.conversations {
            let session = ledger.session(conversation)
            let step = perCall == 0 ? conversationItems.count : perCall
            var start = 0
            while start < conversationItems.count {
                try await session.addItems(Array(conversationItems[start..<min(start + step, conversationItems.count)]))
                start += step
            }
        }
        let stats = try await ledger.stats()
        try await ledger.close()
        result.set("\(name)_raw_bytes", items.rawBytes)
        result.set("\(name)_log_bytes", Int(stats.logBytes))
        result.set("\(name)_ratio", Double(stats.logBytes) / Double(items.rawBytes))
        // The read model after close (checkpointed): the disposable part of the store.
        let model = ["views.sqlite", "views.sqlite-wal"].reduce(0) { total, name in
            let size = try? FileManager.default.attributesOfItem(atPath: directory + "/" + name)[.size] as? Int
            return total + (size ?? 0)
        }
        result.set("\(name)_read_model_bytes", model)
    }

    static func userItem(_ writer: Int, _ call: Int) -> SessionItem {
        try! SessionItem(json: #"{"role":"user","content":"writer \#(writer) message \#(call)"}"#)
    }

    static func assistantItem(_ writer: Int, _ call: Int) -> SessionItem {
        try! SessionItem(json: #"{"role":"assistant","content":"reply to writer \#(writer) message \#(call)"}"#)
    }
}

extension BenchWorkloads.Settings {
    /// The options of the workloads that measure writes: (a), (g) and (b).
    var writeOptions: LedgerOptions {
        LedgerOptions(
            durability: durability,
            logPreallocationBytes: logPreallocation,
            compressionLevel: compressionLevel,
            readerCount: readerCount,
            queryQoS: queryQoS,
            profilesWriter: profileWriter
        )
    }
}
