import TrellisTensor

/// A model trained on (user, positive item, negative item) triples and ranked by dot
/// products of user and item representations.
public protocol Recommender: AnyObject {
    /// Short name used in results (`bpr`, `lightgcn`).
    var name: String { get }
    /// Trainable state: embedding tables (sharded by row in a cluster) and dense weights.
    var parameters: ParameterStore { get }
    /// Mean BPR loss of the batch plus the model's regulariser; a scalar.
    func loss(_ batch: TripletBatch) -> Variable
    /// Representations used for full ranking: users (userCount, d) and items (itemCount, d).
    func rankingEmbeddings() -> (users: Tensor, items: Tensor)
}

/// A training mini-batch of (user, positive, negative) ids, all of equal length.
public struct TripletBatch: Sendable, Equatable {
    public var users: [Int32]
    public var positives: [Int32]
    public var negatives: [Int32]

    public init(users: [Int32], positives: [Int32], negatives: [Int32]) {
        precondition(users.count == positives.count && users.count == negatives.count, "triplet arrays differ in length")
        self.users = users
        self.positives = positives
        self.negatives = negatives
    }

    public var count: Int { users.count }
}

/// Bayesian personalised ranking (Rendle et al. 2009): -log sigmoid(s(u,i) - s(u,j)),
/// written as softplus(s(u,j) - s(u,i)) for stability, averaged over the batch.
public enum BPRLoss {
    /// u, p, n: (B, d) -> scalar.
    public static func of(users u: Variable, positives p: Variable, negatives n: Variable) -> Variable {
        let positiveScores = (u * p).sum(axis: 1)   // (B)
        let negativeScores = (u * n).sum(axis: 1)   // (B)
        return (negativeScores - positiveScores).softplus().mean()
    }

    /// L2 on the batch's input embeddings, halved and averaged over the batch (LightGCN paper):
    /// (|u|^2 + |p|^2 + |n|^2) / (2B).
    public static func l2(_ parts: [Variable], batchSize: Int) -> Variable {
        var total = parts[0].square().sum()
        for p in parts.dropFirst() { total = total + p.square().sum() }
        return total * (0.5 / Float(Swift.max(1, batchSize)))
    }
}
