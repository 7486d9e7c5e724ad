import TrellisCore
import TrellisTensor

/// BPR matrix factorisation: s(u, i) = <e_u, e_i> with free user and item embeddings.
public final class MatrixFactorization: Recommender {
    public let name = "bpr"
    public let parameters = ParameterStore()
    /// (userCount, d)
    public let userEmbedding: EmbeddingTable
    /// (itemCount, d)
    public let itemEmbedding: EmbeddingTable
    /// Weight of the batch L2 term.
    public let regularization: Float

    public init(userCount: Int, itemCount: Int, dimension: Int, regularization: Float, seed: UInt64) {
        var rng = SeededGenerator(seed: seed, stream: [0x6D66])  // "mf"
        userEmbedding = parameters.addTable("user.embedding", .xavierNormal([userCount, dimension], using: &rng))
        itemEmbedding = parameters.addTable("item.embedding", .xavierNormal([itemCount, dimension], using: &rng))
        self.regularization = regularization
    }

    public func loss(_ batch: TripletBatch) -> Variable {
        let u = userEmbedding.lookup(batch.users)       // (B, d)
        let p = itemEmbedding.lookup(batch.positives)   // (B, d)
        let n = itemEmbedding.lookup(batch.negatives)   // (B, d)
        let bpr = BPRLoss.of(users: u, positives: p, negatives: n)
        guard regularization > 0 else { return bpr }
        return bpr + BPRLoss.l2([u, p, n], batchSize: batch.count) * regularization
    }

    public func rankingEmbeddings() -> (users: Tensor, items: Tensor) {
        (userEmbedding.weights, itemEmbedding.weights)
    }
}
