public import Logging
import Synchronization

/// Collects what the ledger logs, so that a test can check that a repair was reported.
///
/// ```swift
/// let capture = ReliabilityLogCapture()
/// let ledger = try await Ledger.open(at: path, options: LedgerOptions(logger: capture.logger))
/// #expect(capture.messages.contains { $0.contains("truncated a torn tail") })
/// ```
public final class ReliabilityLogCapture: Sendable {
    private struct Handler: LogHandler {
        let capture: ReliabilityLogCapture
        var logLevel: Logger.Level = .debug
        var metadata: Logger.Metadata = [:]
        var metadataProvider: Logger.MetadataProvider?

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            var text = "\(event.level): \(event.message)"
            let fields = (event.metadata ?? [:]).sorted { $0.key < $1.key }
            if !fields.isEmpty {
                text += " [" + fields.map { "\($0.key)=\($0.value)" }.joined(separator: " ") + "]"
            }
            capture.collected.withLock { $0.append(text) }
        }
    }

    private let collected = Mutex<[String]>([])

    /// Creates an empty capture.
    public init() {}

    /// A logger whose messages (every level, with their metadata) this capture collects.
    public var logger: Logger {
        Logger(label: "agentledger.test") { _ in Handler(capture: self) }
    }

    /// Every message so far: `level: message [key=value ...]`.
    public var messages: [String] {
        collected.withLock { $0 }
    }

    /// Forgets the messages collected so far.
    public func reset() {
        collected.withLock { $0.removeAll() }
    }
}
