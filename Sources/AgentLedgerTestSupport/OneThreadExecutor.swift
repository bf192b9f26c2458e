import Foundation

/// A task executor that runs every job on one thread of its own, in the order they arrive: a
/// cooperative pool of one thread, so that a test can tell whether a task gives its thread up
/// to the others (`Task(executorPreference:)`). ``stop()`` ends the thread.
public final class OneThreadExecutor: TaskExecutor, @unchecked Sendable {  // state guarded by `condition`
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var stopping = false

    /// Starts the thread.
    public init() {
        let thread = Thread { [self] in run() }
        thread.name = "one-thread-executor"
        thread.start()
    }

    /// Queues `job` to run after the jobs queued before it.
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        defer { condition.unlock() }
        jobs.append(job)
        condition.signal()
    }

    /// Ends the thread once the jobs queued so far have run.
    public func stop() {
        condition.lock()
        defer { condition.unlock() }
        stopping = true
        condition.signal()
    }

    private func run() {
        while let job = next() {
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }

    private func next() -> UnownedJob? {
        condition.lock()
        defer { condition.unlock() }
        while jobs.isEmpty {
            if stopping {
                return nil
            }
            condition.wait()
        }
        return jobs.removeFirst()
    }
}
