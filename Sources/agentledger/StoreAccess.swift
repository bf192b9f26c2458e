/// How a command opens its store (see ``StoreOptions/withLedger(_:_:)``).
enum StoreAccess {
    /// For writing, creating the store when needed; exit 75 when another process writes.
    case write
    /// An existing store, for writing when nobody else writes (so that a torn tail is repaired
    /// and the read model caught up), read-only when another process holds the writer lock, or
    /// when the file system refuses the writing open's writes (a full disk, say) while the read
    /// model is current with the log.
    case read
    /// An existing store, read-only: holds no writer lock while it reads, so other processes
    /// can write. When nobody writes, the store is first opened for writing for a moment, as for
    /// ``read``, so that a torn tail is repaired and the read model caught up or rebuilt, then
    /// closed. For commands that stream for long (`log`, `export`): they would keep writers out
    /// for as long.
    case readOnly
}
