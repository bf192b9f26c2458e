#if AGENTLEDGER_TSAN_MUTEX
import Glibc

/// ThreadSanitizer builds only (`-Xswiftc -DAGENTLEDGER_TSAN_MUTEX`, `make tsan`): stands in for
/// `Synchronization.Mutex`, whose futex the sanitizer does not see on Linux (it then reports every
/// pair of `withLock` bodies as a race, RELIABILITY.md), with a `pthread_mutex_t`, which it sees.
/// The same interface as the parts of `Synchronization.Mutex` this package uses; a declaration of
/// the module shadows the imported one.
struct Mutex<Value: ~Copyable>: ~Copyable {
    private let storage: MutexStorage<Value>

    init(_ initialValue: consuming sending Value) {
        storage = MutexStorage(initialValue)
    }

    borrowing func withLock<Result: ~Copyable, E: Error>(
        _ body: (inout sending Value) throws(E) -> sending Result
    ) throws(E) -> sending Result {
        pthread_mutex_lock(storage.mutex)
        defer { pthread_mutex_unlock(storage.mutex) }
        return try body(&storage.value)
    }
}

extension Mutex: @unchecked Sendable where Value: ~Copyable {}

/// The lock and the value of a ``Mutex``, in one allocation that does not move.
private final class MutexStorage<Value: ~Copyable> {
    let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    var value: Value

    init(_ value: consuming sending Value) {
        self.value = value
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }
}
#endif
