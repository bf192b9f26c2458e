/// `count` and a noun with a regular plural, singular for exactly one: "1 event", "2 events",
/// "0 events". For the library's messages and the command line's summaries.
package func counted(_ count: some BinaryInteger, _ noun: String) -> String {
    "\(count) \(noun)" + (count == 1 ? "" : "s")
}
