/// Cuts a run of elements (an import's commands, an add's items) into consecutive pieces that
/// each fit in one log frame.
enum ImportChunks {
    /// The end of the piece that starts at `start`: at least one element, then more while the
    /// piece holds fewer than `maxCount` and the `size`s of its elements add up to `maxBytes` at
    /// most. `size` is asked once per element looked at.
    static func end(from start: Int, before endIndex: Int, maxCount: Int, maxBytes: Int, size: (Int) -> Int) -> Int {
        var end = start + 1
        var bytes = size(start)
        while end < endIndex, end - start < maxCount {
            let next = size(end)
            guard bytes + next <= maxBytes else {
                break
            }
            bytes += next
            end += 1
        }
        return end
    }
}
