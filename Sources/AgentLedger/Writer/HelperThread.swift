import Foundation

/// A dedicated OS thread that runs the work handed to it one item at a time, in order (the
/// writer's fsync helper, see ``LedgerWriter``).
///
/// ``submit(_:)`` returns at once; ``drain()`` blocks until every item handed over so far has
/// run.
final class HelperThread<Work: Sendable>: @unchecked Sendable {  // mutable state guarded by `condition`
    private let condition = NSCondition()
    private let name: String
    private var waiting: [Work] = []
    private var running = false
    private var stopping = false
    private var stopped = false

    /// A helper whose thread is named `name`.
    init(name: String) {
        self.name = name
    }

    /// Starts the thread, which runs `body` for each item; call once, before ``stop()``.
    func start(_ body: @escaping @Sendable (Work) -> Void) {
        let thread = Thread { [self] in run(body) }
        thread.name = name
        thread.start()
    }

    /// Hands `work` to the thread.
    func submit(_ work: Work) {
        condition.lock()
        defer { condition.unlock() }
        precondition(!stopping, "work submitted to a stopped helper thread")
        waiting.append(work)
        condition.broadcast()
    }

    /// Waits until every item handed over so far has run.
    func drain() {
        condition.lock()
        defer { condition.unlock() }
        while !waiting.isEmpty || running {
            condition.wait()
        }
    }

    /// Runs what is waiting, then ends the thread; returns once it has ended. Idempotent.
    func stop() {
        condition.lock()
        defer { condition.unlock() }
        stopping = true
        condition.broadcast()
        while !stopped {
            condition.wait()
        }
    }

    private func run(_ body: (Work) -> Void) {
        while let work = next() {
            body(work)
            condition.lock()
            running = false
            condition.broadcast()
            condition.unlock()
        }
    }

    /// The next item (marking the helper as running), or nil once stopping with nothing left.
    private func next() -> Work? {
        condition.lock()
        defer { condition.unlock() }
        while waiting.isEmpty {
            if stopping {
                stopped = true
                condition.broadcast()
                return nil
            }
            condition.wait()
        }
        running = true
        let work = waiting.removeFirst()
        condition.broadcast()
        return work
    }
}
