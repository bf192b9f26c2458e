extension LogReader {
    /// Checks the whole log of the store at `directory` and reports every problem it finds,
    /// without stopping at the first where it can go on: each segment's header, every frame
    /// whole (header and payload checksums, decompression, sequence continuity within and
    /// between segments, the hash chain), segments missing at the start or between others.
    /// Payloads are opaque here; ``Ledger/verifyLog(at:expectedHead:)`` also decodes a store's
    /// events.
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
        verify(directory: directory, fileSystem: fileSystem, expectedHead: expectedHead, decodingEvents: false)
    }

    /// ``verify(directory:fileSystem:expectedHead:)``, also decoding every frame's events as a
    /// store's readers do (`decodingEvents`): a frame can pass both checksums and the hash chain
    /// (rewritten whole, or appended with a valid link) and hold events no reader can read.
    static func verify(
        directory: String,
        fileSystem: any LogFileSystem = SystemFileSystem(),
        expectedHead: LogHead?,
        decodingEvents: Bool
    ) -> LogVerification {
        var verifier = LogVerifier(
            fileSystem: fileSystem,
            logDirectory: directory + "/" + EventLog.logDirectoryName,
            expectedHead: expectedHead,
            decodesEvents: decodingEvents
        )
        return verifier.run()
    }
}
