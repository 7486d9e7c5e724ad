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
/// averaged over the batch, plus an L2 term on the batch's input embeddings, halved and
/// averaged over the batch as in the LightGCN paper: (|u|^2 + |p|^2 + |n|^2) / (2B).
public enum BPRLoss {
    /// Loss over `users` (Nu, d) and `items` (Ni, d) for the rows named by each triple, with the
    /// L2 term taken on `egoUsers`/`egoItems` (the layer-0 rows; the same variables for MF).
    public static func of(users: Variable, items: Variable, egoUsers: Variable, egoItems: Variable,
                          userRows: [Int32], positiveRows: [Int32], negativeRows: [Int32],
                          regularization: Float) -> Variable {
        let bpr = Variable.bprLoss(users: users, items: items, userRows: userRows,
                                   positiveRows: positiveRows, negativeRows: negativeRows)
        guard regularization > 0 else { return bpr }
        let l2 = egoUsers === egoItems
            ? egoUsers.squaredNormSum(rows: userRows + positiveRows + negativeRows)
            : egoUsers.squaredNormSum(rows: userRows) + egoItems.squaredNormSum(rows: positiveRows + negativeRows)
        return bpr + l2 * (0.5 * regularization / Float(Swift.max(1, userRows.count)))
    }

    /// Distinct ids in first-seen order and, for each input, its position among them: lets a
    /// batch look up each table row once.
    public static func distinct(_ ids: [Int32]) -> (ids: [Int32], positions: [Int32]) {
        var slot: [Int32: Int32] = [:]
        var unique: [Int32] = []
        var positions = [Int32](repeating: 0, count: ids.count)
        for (k, id) in ids.enumerated() {
            if let s = slot[id] { positions[k] = s; continue }
            let s = Int32(unique.count)
            slot[id] = s
            unique.append(id)
            positions[k] = s
        }
        return (unique, positions)
    }
}
