import GRDB

extension ReadModel {
    /// The latest event timestamp the read model holds (microseconds since 1970), 0 for an
    /// empty log: a writer that opens the store stamps its events no earlier, so that times stay
    /// non-decreasing along the log when the clock went back between two opens.
    ///
    /// Read on the writer's connection, which is open already, rather than opening a reader
    /// connection at open for this one query.
    func lastEventTime() throws -> Int64 {
        try pool.writeWithoutTransaction { db in
            try Int64.fetchOne(db, sql: "SELECT max(at) FROM event_time") ?? 0
        }
    }
}
