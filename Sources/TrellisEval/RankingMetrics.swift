import Foundation  // log2

/// Accumulates full-ranking top-K metrics over users, following RecBole's definitions for
/// general recommenders.
///
/// For each user the whole catalogue is ranked (minus the user's training history) and the
/// top `max(ks)` items are compared with the user's held-out positives. Per cutoff K:
///
/// - `hit@K`: 1 if any positive is in the top K.
/// - `recall@K`: hits / |positives|.
/// - `precision@K`: hits / K (K even when fewer than K candidates exist, as in RecBole).
/// - `ndcg@K`: binary relevance; DCG = Σ 1/log2(rank+1) over hits at 1-based ranks, divided by
///   the ideal DCG of min(|positives|, K) hits.
/// - `mrr@K`: 1 / rank of the first hit in the top K, else 0.
/// - `coverage@K`: fraction of the catalogue appearing in at least one user's top-K list.
///
/// Users without positives are skipped entirely. Shards of users can be accumulated
/// independently (threads, workers) and combined with `merge`.
public struct RankingMetrics: Sendable {
    /// The cutoffs, sorted ascending and deduplicated.
    public let ks: [Int]
    /// The number of items in the catalogue (the length of every score row).
    public let itemCount: Int
    /// The number of users counted so far (users with at least one positive).
    public internal(set) var userCount = 0

    // MARK: State

    /// Sums per cutoff, parallel to `ks`.
    var sums: [RankingSums]
    /// For each item, the best 0-based rank it reached in any user's list (`Int32.max` if
    /// never listed). One array answers coverage for every K and merges by elementwise min.
    var bestRank: [Int32]
    /// Reused top-K selection storage.
    var selector: TopKSelector

    // MARK: Precomputed discounts

    /// `discounts[r]` = 1 / log2(r + 2): the DCG gain of a hit at 0-based rank r.
    let discounts: [Double]
    /// `idealDCG[n]` = the DCG of n hits at ranks 1...n.
    let idealDCG: [Double]

    // MARK: Creating

    /// An empty accumulator for cutoffs `ks` (each at least 1) over `itemCount` items.
    public init(ks: [Int], itemCount: Int) {
        precondition(!ks.isEmpty, "RankingMetrics: at least one cutoff is needed")
        precondition(ks.allSatisfy { $0 >= 1 }, "RankingMetrics: cutoffs must be positive, got \(ks)")
        precondition(itemCount >= 0, "RankingMetrics: negative item count \(itemCount)")
        let sortedKs = Array(Set(ks)).sorted()
        let maxK = sortedKs[sortedKs.count - 1]
        self.ks = sortedKs
        self.itemCount = itemCount
        sums = Array(repeating: RankingSums(), count: sortedKs.count)
        bestRank = Array(repeating: Int32.max, count: itemCount)
        selector = TopKSelector(k: maxK)

        let discounts = (0..<maxK).map { 1.0 / log2(Double($0) + 2.0) }
        var ideal = [0.0]
        ideal.reserveCapacity(maxK + 1)
        for gain in discounts { ideal.append(ideal[ideal.count - 1] + gain) }
        self.discounts = discounts
        self.idealDCG = ideal
    }
}
