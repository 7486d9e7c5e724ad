/// Picks the `k` best-scoring items out of a full score row, skipping a user's history.
///
/// Full-ranking evaluation scores every item for every user (item counts reach ~316K), so
/// sorting each row would dominate evaluation time. Instead the selector keeps a bounded heap
/// of the `k` best candidates seen so far, rooted at the worst of them: one scan over the row
/// with a single float comparison per item, O(n + m log k) where m (the number of heap
/// replacements) is small for typical score rows.
///
/// Ordering is total and deterministic: higher score first, equal scores by lower item id,
/// and NaN below every number (so a diverged model ranks nothing instead of crashing).
///
/// The selector reuses its heap storage between calls; keep one per thread.
public struct TopKSelector: Sendable {
    /// How many items `select` returns (fewer when there are fewer candidates).
    public let k: Int

    // MARK: Heap storage

    /// Parallel arrays forming a binary heap whose root is the *worst* kept candidate.
    /// Separate arrays keep the score scan touching only floats.
    var heapScores: [Float] = []
    var heapIDs: [Int32] = []

    // MARK: Creating

    /// A selector returning at most `k` items; `k` must not be negative.
    public init(k: Int) {
        precondition(k >= 0, "TopKSelector: k must be non-negative, got \(k)")
        self.k = k
        // Reserve lazily-bounded capacity: k can be huge in tests (k > item count).
        heapScores.reserveCapacity(min(k, 4096))
        heapIDs.reserveCapacity(min(k, 4096))
    }

    // MARK: Selecting

    /// The ids of the top `k` items of `scores` (indexed by item id), best first, never
    /// including an id in `exclude`.
    ///
    /// - Parameters:
    ///   - scores: one score per item; `scores.count` is the item count.
    ///   - exclude: item ids to skip, sorted ascending (duplicates and out-of-range ids are
    ///     tolerated and ignored).
    /// - Returns: `min(k, candidates)` item ids ordered by score descending, ties by lower id.
    public mutating func select(scores: UnsafeBufferPointer<Float>, exclude: ArraySlice<Int32>) -> [Int32] {
        heapScores.removeAll(keepingCapacity: true)
        heapIDs.removeAll(keepingCapacity: true)
        guard k > 0 else { return [] }

        // Walk the gaps between excluded ids so the inner scan never checks the history.
        let itemCount = scores.count
        var start = 0
        for excluded in exclude {
            let end = Int(excluded)
            guard end >= start else { continue }  // duplicate or negative id
            scan(scores, from: start, to: min(end, itemCount))
            start = end + 1
            if start >= itemCount { break }
        }
        if start < itemCount { scan(scores, from: start, to: itemCount) }

        return drainBestFirst()
    }

    /// Convenience overload taking the history as an array.
    public mutating func select(scores: UnsafeBufferPointer<Float>, exclude: [Int32]) -> [Int32] {
        select(scores: scores, exclude: exclude[...])
    }

    /// One-shot selection without keeping a selector around.
    public static func topK(_ k: Int, scores: UnsafeBufferPointer<Float>, exclude: ArraySlice<Int32> = []) -> [Int32] {
        var selector = TopKSelector(k: k)
        return selector.select(scores: scores, exclude: exclude)
    }

    // MARK: Scanning

    /// Offers items `lower..<upper` to the heap. Items arrive in ascending id order, so a
    /// newcomer loses every score tie against the heap; that is what makes the cheap
    /// `score > threshold` test exact.
    private mutating func scan(_ scores: UnsafeBufferPointer<Float>, from lower: Int, to upper: Int) {
        var index = lower
        // Fill phase: take everything until the heap holds k candidates.
        while index < upper && heapIDs.count < k {
            push(score: scores[index], id: Int32(truncatingIfNeeded: index))
            index += 1
        }
        guard index < upper else { return }

        var threshold = heapScores[0]
        var thresholdIsNaN = threshold.isNaN
        while index < upper {
            let score = scores[index]
            // `score > NaN` is always false, so a NaN root needs its own flag: then any
            // number (even -inf) beats it, while another NaN (higher id) still does not.
            if score > threshold || (thresholdIsNaN && !score.isNaN) {
                replaceRoot(score: score, id: Int32(truncatingIfNeeded: index))
                threshold = heapScores[0]
                thresholdIsNaN = threshold.isNaN
            }
            index += 1
        }
    }
}
