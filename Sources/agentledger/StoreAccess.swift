/// How a command opens its store (see ``StoreOptions/withLedger(_:_:)``).
enum StoreAccess {
    /// For writing, creating the store when needed; exit 75 when another process writes.
    case write
    /// An existing store, for writing when nobody else writes (so that a torn tail is repaired
    /// and the read model caught up), read-only when another process holds the writer lock.
    case read
    /// An existing store, read-only: never takes the writer lock, so other processes can write.
    case readOnly
}
