import AgentLedger
import Foundation

/// `append`: the child of the kill -9 test. Opens the store (durable: fsync per group commit) and
/// appends from several tasks until killed (or `--ops` calls per task), printing each
/// acknowledged call.
///
/// Task `t` appends to session `kill-t<t>` batches of 1...`--max-batch` items whose content is
/// `kill r=<run> t=<t> c=<counter> i=<index>/<count>`, one call at a time. A churn task adds two
/// items to session `kill-churn` and pops one, again and again.
///
/// Records: `open <pid> <head>` once open; `ack <sequence> <task> <counter> <count>` after each
/// acknowledged add; `pop <task> <counter>` after each acknowledged pop; `fail <task> <error>`.
struct AppendMode {
    let store: String
    let run: Int
    let tasks: Int
    let maxBatch: Int
    let segmentBytes: Int
    let opsPerTask: Int
    let seed: UInt64

    init(_ arguments: TortureArguments) throws {
        store = try arguments.string("store")
        run = try arguments.int("run", default: 0)
        tasks = try arguments.int("tasks", default: 3)
        maxBatch = max(1, try arguments.int("max-batch", default: 3))
        segmentBytes = try arguments.int("segment-bytes", default: 64 << 20)
        opsPerTask = try arguments.int("ops", default: Int.max)
        seed = UInt64(try arguments.int("seed", default: run))
    }

    func run() async throws -> Int32 {
        var options = TortureCommand.options()
        options.segmentSizeBytes = segmentBytes
        let ledger = try await Ledger.open(at: store, options: options)
        TortureOutput.line("open \(getpid()) \(try await ledger.headSequence())")
        let failed = await withTaskGroup(of: Bool.self) { group in
            for task in 0..<tasks {
                group.addTask { await appendLoop(ledger, task: task) }
            }
            group.addTask { await churnLoop(ledger) }
            var failed = false
            for await taskFailed in group {
                failed = failed || taskFailed
            }
            return failed
        }
        try await ledger.close()
        TortureOutput.line("done")
        return failed ? TortureCommand.checkFailedExitCode : 0
    }

    /// Returns whether a call failed.
    private func appendLoop(_ ledger: Ledger, task: Int) async -> Bool {
        var random = TortureRandom(seed: seed &* 1000 &+ UInt64(task))
        let session = ledger.session("kill-t\(task)")
        var counter = 0
        while counter < opsPerTask {
            let count = 1 + random.below(maxBatch)
            let items = (0..<count).map { index in
                TortureCommand.item("kill r=\(run) t=\(task) c=\(counter) i=\(index)/\(count)")
            }
            do {
                guard let sequence = try await session.append(items) else {
                    TortureOutput.line("fail \(task) no sequence for a non-empty add")
                    return true
                }
                TortureOutput.line("ack \(sequence) \(task) \(counter) \(count)")
            } catch {
                TortureOutput.line("fail \(task) \(error)")
                return true
            }
            counter += 1
        }
        return false
    }

    private func churnLoop(_ ledger: Ledger) async -> Bool {
        let session = ledger.session("kill-churn")
        let task = tasks
        var counter = 0
        while counter < opsPerTask {
            do {
                let items = (0..<2).map { index in
                    TortureCommand.item("kill r=\(run) t=\(task) c=\(counter) i=\(index)/2")
                }
                guard let sequence = try await session.append(items) else {
                    TortureOutput.line("fail \(task) no sequence for a non-empty add")
                    return true
                }
                TortureOutput.line("ack \(sequence) \(task) \(counter) 2")
                _ = try await session.popItem()
                TortureOutput.line("pop \(task) \(counter)")
            } catch {
                TortureOutput.line("fail \(task) \(error)")
                return true
            }
            counter += 1
        }
        return false
    }
}
