import Synchronization

/// How far the read model has applied the log, for readers that must see every acknowledged
/// write.
///
/// The writer acknowledges a group commit of adds once its frame is durable, before the
/// SQLite COMMIT that makes it visible to queries. A query of this process that starts after an
/// acknowledgement waits here until the read model has committed that far, so a caller still
/// reads its own writes. The wait is at most the rest of one group commit's apply and one
/// COMMIT: usually a fraction of a millisecond, more when the COMMIT starts the WAL over after a
/// checkpoint (an fsync of its header).
final class AppliedSequence: Sendable {
    private struct Waiter {
        /// Tells a waiter apart from the others, for its cancellation.
        let id: UInt64
        let sequence: UInt64
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var applied: UInt64
        var waiters: [Waiter] = []
        var failure: LedgerError?
        var nextWaiterID: UInt64 = 0
    }

    /// The last applied sequence number, read without the lock on the fast path.
    private let applied: Atomic<UInt64>
    /// Whether a reader waits, read without the lock by the writer deciding when to commit.
    private let waiting = Atomic<Bool>(false)
    private let state: Mutex<State>

    /// Starts at `sequence`: what the read model holds when the writer starts.
    init(_ sequence: UInt64) {
        applied = Atomic(sequence)
        state = Mutex(State(applied: sequence))
    }

    /// The last sequence number committed to the read model.
    var value: UInt64 { applied.load(ordering: .acquiring) }

    /// Whether a reader waits for a sequence number not yet published.
    var hasWaiters: Bool { waiting.load(ordering: .acquiring) }

    /// Returns once the read model has applied `sequence`; throws the failure that stopped it
    /// short of it, or `CancellationError` when the calling task is cancelled first (the writer
    /// may be in the middle of a long fsync, which a cancelled query must not wait for).
    func wait(for sequence: UInt64) async throws {
        if applied.load(ordering: .acquiring) >= sequence {
            return
        }
        let id = state.withLock { state in
            defer { state.nextWaiterID += 1 }
            return state.nextWaiterID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome: Result<Void, any Error>? = state.withLock { state in
                    if state.applied >= sequence {
                        return .success(())
                    }
                    if let failure = state.failure {
                        return .failure(failure)
                    }
                    // Under the lock that the cancellation handler takes: a cancellation that
                    // came before this waiter was added is seen here, a later one finds it.
                    if Task.isCancelled {
                        return .failure(CancellationError())
                    }
                    state.waiters.append(Waiter(id: id, sequence: sequence, continuation: continuation))
                    waiting.store(true, ordering: .releasing)
                    return nil
                }
                if let outcome {
                    continuation.resume(with: outcome)
                }
            }
        } onCancel: {
            let cancelled = state.withLock { state -> Waiter? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else {
                    return nil
                }
                let waiter = state.waiters.remove(at: index)
                waiting.store(!state.waiters.isEmpty, ordering: .releasing)
                return waiter
            }
            cancelled?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Records that the read model committed everything through `sequence` and resumes the
    /// readers waiting for it.
    func publish(_ sequence: UInt64) {
        applied.store(sequence, ordering: .releasing)
        let ready = state.withLock { state -> [Waiter] in
            state.applied = sequence
            guard !state.waiters.isEmpty else {
                return []
            }
            let ready = state.waiters.filter { $0.sequence <= sequence }
            state.waiters.removeAll { $0.sequence <= sequence }
            waiting.store(!state.waiters.isEmpty, ordering: .releasing)
            return ready
        }
        for waiter in ready {
            waiter.continuation.resume()
        }
    }

    /// Records that the read model caught up with the log through `sequence` after a failure
    /// (``fail(_:)``): readers wait for it again, and those waiting for `sequence` resume.
    func recover(_ sequence: UInt64) {
        state.withLock { $0.failure = nil }
        publish(sequence)
    }

    /// Records that the read model will not apply acknowledged writes until it is caught up
    /// from the log (``LedgerWriter/recover()``) or the store is reopened: every reader
    /// waiting, or coming to wait, for them gets `error`.
    func fail(_ error: LedgerError) {
        let failed = state.withLock { state -> [Waiter] in
            state.failure = error
            waiting.store(false, ordering: .releasing)
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in failed {
            waiter.continuation.resume(throwing: error)
        }
    }
}
