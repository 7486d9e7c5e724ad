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
        // Each distinct row is looked up once; triples index into those rows.
        let users = BPRLoss.distinct(batch.users)
        let items = BPRLoss.distinct(batch.positives + batch.negatives)
        let u = userEmbedding.lookup(users.ids)   // (distinct users, d)
        let i = itemEmbedding.lookup(items.ids)   // (distinct items, d)
        let b = batch.count
        return BPRLoss.of(users: u, items: i, egoUsers: u, egoItems: i, userRows: users.positions,
                          positiveRows: Array(items.positions[0..<b]), negativeRows: Array(items.positions[b...]),
                          regularization: regularization)
    }

    public func rankingEmbeddings() -> (users: Tensor, items: Tensor) {
        (userEmbedding.weights, itemEmbedding.weights)
    }
}
