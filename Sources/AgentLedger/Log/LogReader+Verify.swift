extension LogReader {
    /// Checks the whole log of the store at `directory` and reports every problem it finds,
    /// without stopping at the first where it can go on: each segment's header, every frame
    /// whole (header and payload checksums, decompression, sequence continuity within and
    /// between segments, the hash chain), segments missing at the start or between others.
    ///
    /// A torn tail (an incomplete frame at the very end, as a crash or a write in progress
    /// leaves it) is reported with code ``LedgerError/Code/truncatedTail``; damage with
    /// ``LedgerError/Code/corruptLog``. Reads only, takes no lock, never throws.
    ///
    /// - Parameter expectedHead: a head recorded earlier (for example by an auditor): the frame
    ///   ending at its sequence number must have its hash, otherwise a problem is reported.
    ///
    /// ```swift
    /// let result = LogReader.verify(directory: storePath)
    /// print(result.lastSequence, result.headHashHex, result.problems)
    /// ```
    public static func verify(
        directory: String,
        fileSystem: any LogFileSystem = SystemFileSystem(),
        expectedHead: LogHead? = nil
    ) -> LogVerification {
        var verifier = LogVerifier(
            fileSystem: fileSystem,
            logDirectory: directory + "/" + EventLog.logDirectoryName,
            expectedHead: expectedHead
        )
        return verifier.run()
    }
}
