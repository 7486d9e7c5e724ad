// MARK: Reporting

extension RankingMetrics {
    /// Averages over counted users, keyed `"<metric>@<K>"` in lower case: `hit`, `recall`,
    /// `precision`, `ndcg`, `mrr` and `coverage` for every cutoff.
    ///
    /// With no counted users the per-user averages are reported as 0 rather than NaN, so a
    /// logger or JSON encoder never sees a non-finite number.
    public func summary() -> [String: Double] {
        var result: [String: Double] = [:]
        let users = Double(userCount)
        for (index, k) in ks.enumerated() {
            let sum = sums[index]
            let mean: (Double) -> Double = { userCount > 0 ? $0 / users : 0 }
            result["hit@\(k)"] = mean(sum.hit)
            result["recall@\(k)"] = mean(sum.recall)
            result["precision@\(k)"] = mean(sum.precision)
            result["ndcg@\(k)"] = mean(sum.ndcg)
            result["mrr@\(k)"] = mean(sum.mrr)
            result["coverage@\(k)"] = coverage(at: k)
        }
        return result
    }

    /// The fraction of the catalogue that appeared in at least one user's top-`k` list
    /// (0 for an empty catalogue).
    public func coverage(at k: Int) -> Double {
        guard itemCount > 0 else { return 0 }
        let limit = Int32(clamping: k)
        var covered = 0
        for rank in bestRank where rank < limit { covered += 1 }
        return Double(covered) / Double(itemCount)
    }
}
