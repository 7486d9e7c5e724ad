/// Per-cutoff running sums of the per-user metrics, in Double so that averaging hundreds of
/// thousands of users does not lose the small per-user contributions.
struct RankingSums: Sendable, Equatable {
    var hit = 0.0
    var recall = 0.0
    var precision = 0.0
    var ndcg = 0.0
    var mrr = 0.0

    /// Adds another shard's sums (used by `RankingMetrics.merge`).
    mutating func add(_ other: RankingSums) {
        hit += other.hit
        recall += other.recall
        precision += other.precision
        ndcg += other.ndcg
        mrr += other.mrr
    }
}
