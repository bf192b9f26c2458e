import AgentLedger
import ArgumentParser
import Foundation

/// The options every command that uses a store takes: where the store is, how writes reach
/// the disk, and how much the library reports on standard error.
struct StoreOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The store directory. Default: $AGENTLEDGER_STORE, else ./.agentledger; an empty one (here or in "
                + "the variable) exits 64.",
            valueName: "dir"
        )
    )
    var store: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "When a write is on stable storage: fsync (every write), interval:MS (at most MS milliseconds "
                + "later), or none.",
            valueName: "mode"
        )
    )
    var durability = DurabilityArgument(.fsync)

    @Option(
        name: .long,
        parsing: .unconditional,
        help: ArgumentHelp(
            "How long a writing command waits for another process to release the store's writer lock "
                + "(reading commands hold it briefly when nobody writes), and a reading command for another "
                + "process to rebuild a missing read model, before exiting 75.",
            valueName: "ms"
        )
    )
    var lockWait = 2000

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The largest item a command accepts, in bytes, or with K, M or G (binary multiples), at most "
                + "512M. Raise it to import the export of a store whose library wrote larger items.",
            valueName: "size"
        )
    )
    var maxItemBytes = ByteCountArgument(bytes: LedgerOptions.defaultMaxItemBytes)

    @Flag(name: .long, help: "Report recovery and read-model rebuilds (log level info instead of warning).")
    var verbose = false

    mutating func validate() throws {
        try ArgumentChecks.notNegative(lockWait, "--lock-wait")
        guard (1...LedgerOptions.largestMaxItemBytes).contains(maxItemBytes.bytes) else {
            throw ValidationError(
                "--max-item-bytes must be between 1 and \(LedgerOptions.largestMaxItemBytes) "
                    + "(\(ByteCountArgument(bytes: LedgerOptions.largestMaxItemBytes).defaultValueDescription)), "
                    + "not \(maxItemBytes.bytes)"
            )
        }
        if store?.isEmpty == true {
            // `--store "$DIR"` with DIR unset: falling back to $AGENTLEDGER_STORE or
            // ./.agentledger would read or write a store nobody named.
            throw ValidationError(
                "--store is empty: give the store's directory, or leave the option out for "
                    + "$AGENTLEDGER_STORE, else ./.agentledger"
            )
        }
        if store == nil, Self.environmentStore?.isEmpty == true {
            // `AGENTLEDGER_STORE=$DIR` with DIR unset: the same store nobody named.
            throw ValidationError(
                "AGENTLEDGER_STORE is set but empty: set it to the store's directory, give --store DIR, or "
                    + "unset it for ./.agentledger"
            )
        }
    }

    /// `$AGENTLEDGER_STORE`, or `nil` when it is not set.
    private static var environmentStore: String? {
        ProcessInfo.processInfo.environment["AGENTLEDGER_STORE"]
    }

    /// The store directory: `--store`, else `$AGENTLEDGER_STORE`, else `./.agentledger`.
    /// An empty `--store` or `$AGENTLEDGER_STORE` never gets here: ``validate()`` refuses it.
    var directory: String {
        store ?? Self.environmentStore ?? ".agentledger"
    }

    /// The library options for this invocation: opening waits `--lock-wait` for another
    /// process's writer lock, unless `waitingForLock` is false (a reading command's attempt to
    /// open for writing, which reads beside a writer instead).
    func ledgerOptions(readOnly: Bool = false, waitingForLock: Bool = true) -> LedgerOptions {
        LedgerOptions(
            durability: durability.durability,
            readOnly: readOnly,
            maxItemBytes: maxItemBytes.bytes,
            lockWait: waitingForLock ? .milliseconds(lockWait) : .zero
        )
    }

    /// Opens the store as `access` says, runs `body`, and closes the store whether `body`
    /// succeeds or not.
    ///
    /// - Throws: ``CLIFailure`` (exit 66) when a read finds no store at ``directory``;
    ///   `LedgerError` `storeLocked` (exit 75, the message names the holder's pid) when a write
    ///   finds the lock held, by a writer or by a reading command catching up the read model;
    ///   the other errors of `Ledger.open` and of `body`.
    func withLedger<T>(_ access: StoreAccess, _ body: (Ledger) async throws -> T) async throws -> T {
        let ledger = try await open(access)
        let result: T
        do {
            result = try await body(ledger)
        } catch {
            try? await ledger.close()
            throw error
        }
        try await ledger.close()
        return result
    }

    /// Opens the store for writing, waiting up to `--lock-wait` milliseconds while another
    /// process holds the writer lock.
    private func openForWriting() async throws -> Ledger {
        try await openWaitingForLock { directory, options in
            try await Ledger.open(at: directory, options: options)
        }
    }

    /// Opens the store with `opener` and ``ledgerOptions(readOnly:waitingForLock:)``, which
    /// wait up to `--lock-wait` milliseconds while another process holds the writer lock (or,
    /// for a read-only opener, while the lock's holder rebuilds the missing read model); the
    /// library's refusal after that names the option.
    func openWaitingForLock(
        _ opener: (String, LedgerOptions) async throws -> Ledger
    ) async throws -> Ledger {
        do {
            return try await opener(directory, ledgerOptions())
        } catch let error as LedgerError where error.code == .storeLocked {
            let refusal = error.underlying as? LedgerError ?? error
            throw LedgerError(
                .storeLocked,
                refusal.message + " (waited \(lockWait) ms; see --lock-wait)",
                underlying: refusal
            )
        }
    }

    /// Throws unless `directory` holds a log: exit 74 when it holds a read model without one
    /// (the log, the only durable part, is gone: no command may start a new log under that
    /// model), exit 66 for a reading command (`reading`) when it holds neither.
    static func requireLog(in directory: String, reading: Bool) throws {
        guard !FileManager.default.fileExists(atPath: directory + "/log") else {
            return
        }
        if FileManager.default.fileExists(atPath: directory + "/" + "views.sqlite") {
            throw CLIFailure(
                ExitCodes.ioError,
                "\(directory) holds a read model (views.sqlite) but no log/ directory: the log, the store's only "
                    + "durable data, is missing. Restore log/ from a backup; to start a new store here instead, "
                    + "delete views.sqlite"
            )
        }
        if reading {
            throw CLIFailure(ExitCodes.noInput, "no store at \(directory) (give --store DIR or set AGENTLEDGER_STORE)")
        }
    }

    /// A reading command's store opened read-only after `failure`, a refusal to write of the
    /// writing open (a full disk, a read-only file system, missing permissions:
    /// `LedgerError.isWriteRefusal`), when the read model is current (`readModelIsCurrent()`:
    /// built from this log and caught up to its end): that open only repairs a torn tail and
    /// catches the model up, so there is nothing it would have changed in what the command
    /// reads. Throws `failure` otherwise: a model behind the log would answer without
    /// acknowledged events, one of another log with that log's sessions.
    private func openReadOnlyIfCurrent(after failure: LedgerError) async throws -> Ledger {
        guard FileManager.default.fileExists(atPath: directory + "/views.sqlite"),
            let ledger = try? await Ledger.open(at: directory, options: ledgerOptions(readOnly: true))
        else {
            throw failure
        }
        guard (try? await ledger.readModelIsCurrent()) == true else {
            try? await ledger.close()
            throw failure
        }
        OutputBuffer.printError(
            "warning: the store cannot be opened for writing (\(failure.message)); reading it as it is, its read model "
                + "being current with the log"
        )
        return ledger
    }

    private func open(_ access: StoreAccess) async throws -> Ledger {
        let directory = directory
        try Self.requireLog(in: directory, reading: access != .write)
        do {
            switch access {
            case .write:
                return try await openForWriting()
            case .read:
                do {
                    return try await Ledger.open(at: directory, options: ledgerOptions(waitingForLock: false))
                } catch let error as LedgerError where error.code == .storeLocked {
                    // Another process writes: read beside it.
                } catch let error as LedgerError where error.isWriteRefusal {
                    return try await openReadOnlyIfCurrent(after: error)
                }
            case .readOnly:
                // When nobody writes, open the store for writing for a moment, as the other
                // reading commands do, so that a torn tail is repaired, the read model caught up
                // or rebuilt (missing, of another schema after an upgrade) and the log's damage
                // reported; then read-only, holding no lock while the output is read.
                do {
                    try await Ledger.open(at: directory, options: ledgerOptions(waitingForLock: false)).close()
                } catch let error as LedgerError where error.code == .storeLocked {
                    // Another process writes, and repairs.
                } catch let error as LedgerError
                    where error.isWriteRefusal && FileManager.default.fileExists(atPath: directory + "/views.sqlite")
                {
                    // The files refuse writes: read as is (a missing read model keeps the error).
                }
            }
            return try await openWaitingForLock { directory, _ in
                try await Ledger.open(at: directory, options: ledgerOptions(readOnly: true))
            }
        } catch let error as LedgerError where error.code == .notFound {
            throw CLIFailure(ExitCodes.noInput, error.message)
        }
    }
}
