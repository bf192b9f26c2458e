import Glibc

/// libdispatch's descriptor for the main queue, made before the command opens anything.
///
/// Swift's async `main` hands the main thread to `dispatch_main()`, which ends that thread and,
/// in its clean-up, creates and closes an eventfd for the main queue (`_dispatch_queue_cleanup2`).
/// That clean-up runs while the command already runs on another thread: under a small
/// `ulimit -n` the command could take the last descriptors first, and libdispatch then crashed
/// the process (SIGILL, exit 132) instead of letting it exit 74 with the command's clear error.
/// Making the descriptor first, through the function CoreFoundation uses for it, leaves the
/// clean-up nothing to create; when the clean-up has run already, it does nothing. It covers
/// that one descriptor only: libdispatch opens others as it goes, and ``DescriptorFloor`` keeps
/// a command from running with too few to spare.
enum MainQueueHandle {
    /// Makes the main queue's descriptor now, if libdispatch has not made it yet.
    static func reserve() {
        // RTLD_DEFAULT: the symbol is looked up in every loaded library, libdispatch among them.
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "_dispatch_get_main_queue_handle_4CF") else {
            return
        }
        let handle = unsafeBitCast(symbol, to: (@convention(c) () -> Int32).self)
        _ = handle()
    }
}
