/// A command that works on a store: the root command reads its ``StoreOptions`` before running
/// it, to set up logging.
protocol StoreCommand: SendableMetatype {
    /// The command's store options.
    var store: StoreOptions { get }
}
