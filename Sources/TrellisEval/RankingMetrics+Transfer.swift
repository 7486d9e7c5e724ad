// MARK: Sending to another process

extension RankingMetrics {
    /// Per cut-off in `ks` order, the sums of hit, recall, precision, NDCG and MRR (five each):
    /// what a shard evaluated in another process sends, with `userCount` and `bestRanks`.
    public var sumValues: [Double] { sums.flatMap { [$0.hit, $0.recall, $0.precision, $0.ndcg, $0.mrr] } }
    /// Each item's best 0-based rank in any counted user's list (`Int32.max`: never listed).
    public var bestRanks: [Int32] { bestRank }

    /// A shard's accumulator as another process sent it; nil unless `ks` are sorted, unique
    /// and positive, `sumValues` holds five per cut-off and `bestRanks` one per item.
    public init?(ks: [Int], itemCount: Int, userCount: Int, sumValues: [Double], bestRanks: [Int32]) {
        guard !ks.isEmpty, ks.first! >= 1, zip(ks, ks.dropFirst()).allSatisfy({ $0 < $1 }), itemCount >= 0, userCount >= 0,
              sumValues.count == 5 * ks.count, bestRanks.count == itemCount else { return nil }
        self.init(ks: ks, itemCount: itemCount)
        self.userCount = userCount
        sums = (0..<ks.count).map { k in
            let v = sumValues[(5 * k)..<(5 * k + 5)].map { $0 }
            return RankingSums(hit: v[0], recall: v[1], precision: v[2], ndcg: v[3], mrr: v[4])
        }
        bestRank = bestRanks
    }
}
