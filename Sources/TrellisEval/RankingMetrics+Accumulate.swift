// MARK: Adding users

extension RankingMetrics {
    /// Ranks all items for one user and adds the user's metrics at every cutoff.
    ///
    /// - Parameters:
    ///   - scores: one score per item (`itemCount` of them); higher is better, NaN is lowest.
    ///   - exclude: the user's training items, sorted ascending; never ranked.
    ///   - positives: the user's held-out items, sorted ascending and unique. A user with none
    ///     is skipped and not counted.
    public mutating func addUser(scores: UnsafeBufferPointer<Float>, exclude: ArraySlice<Int32>, positives: ArraySlice<Int32>) {
        precondition(scores.count == itemCount, "RankingMetrics: score row has \(scores.count) entries, expected \(itemCount)")
        guard !positives.isEmpty else { return }

        let ranked = selector.select(scores: scores, exclude: exclude)
        let positiveCount = positives.count
        var hits = 0
        var dcg = 0.0
        var firstHitRank = 0  // 1-based; 0 means no hit yet
        var cutoffIndex = 0

        // One pass down the list; at each cutoff boundary the running values are that K's.
        for rank in 0..<(ks[ks.count - 1]) {
            if rank < ranked.count {
                let item = ranked[rank]
                if Self.sortedContains(positives, item) {
                    hits += 1
                    dcg += discounts[rank]
                    if firstHitRank == 0 { firstHitRank = rank + 1 }
                }
                if bestRank[Int(item)] > Int32(rank) { bestRank[Int(item)] = Int32(rank) }
            }
            while cutoffIndex < ks.count && ks[cutoffIndex] == rank + 1 {
                let k = ks[cutoffIndex]
                sums[cutoffIndex].hit += hits > 0 ? 1 : 0
                sums[cutoffIndex].recall += Double(hits) / Double(positiveCount)
                sums[cutoffIndex].precision += Double(hits) / Double(k)
                sums[cutoffIndex].ndcg += dcg / idealDCG[min(positiveCount, k)]
                sums[cutoffIndex].mrr += firstHitRank > 0 ? 1.0 / Double(firstHitRank) : 0
                cutoffIndex += 1
            }
        }
        userCount += 1
    }

    /// Convenience overload taking arrays.
    public mutating func addUser(scores: UnsafeBufferPointer<Float>, exclude: [Int32], positives: [Int32]) {
        addUser(scores: scores, exclude: exclude[...], positives: positives[...])
    }

    /// Adds every user of a row-major `rowCount` × `itemCount` score matrix; row i belongs to
    /// `users[i]`, whose history and positives the closures return (both sorted ascending).
    public mutating func addUsers(
        scores: UnsafeBufferPointer<Float>,
        rowCount: Int,
        users: [Int32],
        exclude: (Int32) -> ArraySlice<Int32>,
        positives: (Int32) -> ArraySlice<Int32>
    ) {
        precondition(users.count == rowCount, "RankingMetrics: \(users.count) users for \(rowCount) score rows")
        precondition(scores.count >= rowCount * itemCount, "RankingMetrics: score matrix smaller than \(rowCount) x \(itemCount)")
        for (row, user) in users.enumerated() {
            let rowStart = row * itemCount
            let rowScores = UnsafeBufferPointer(rebasing: scores[rowStart..<(rowStart + itemCount)])
            addUser(scores: rowScores, exclude: exclude(user), positives: positives(user))
        }
    }

    // MARK: Combining shards

    /// Folds in the users accumulated by `other` (same cutoffs and item count), so shards of
    /// users evaluated separately give exactly the totals of one accumulation (up to the
    /// order of floating-point additions).
    public mutating func merge(_ other: RankingMetrics) {
        precondition(ks == other.ks && itemCount == other.itemCount, "RankingMetrics: merging accumulators with different cutoffs or item counts")
        userCount += other.userCount
        for index in sums.indices { sums[index].add(other.sums[index]) }
        for item in 0..<itemCount where other.bestRank[item] < bestRank[item] {
            bestRank[item] = other.bestRank[item]
        }
    }

    // MARK: Helpers

    /// Binary search: positives lists are sorted, and usually short next to the top-K list.
    @inline(__always)
    static func sortedContains(_ sorted: ArraySlice<Int32>, _ value: Int32) -> Bool {
        var low = sorted.startIndex, high = sorted.endIndex
        while low < high {
            let mid = low + (high - low) / 2
            if sorted[mid] < value { low = mid + 1 } else { high = mid }
        }
        return low < sorted.endIndex && sorted[low] == value
    }
}
