extension String {
    /// Whether this name and `other` are the same bytes, as SQLite compares the store's session
    /// ids and branch names. Swift's `==` compares by canonical equivalence, which takes "café"
    /// (NFC) and "cafe\u{301}" (NFD), two branches of the store, for one.
    func isSameName(as other: String) -> Bool {
        utf8.elementsEqual(other.utf8)
    }
}
