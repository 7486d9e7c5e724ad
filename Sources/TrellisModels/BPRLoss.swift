import TrellisTensor

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
        var unique: [Int32] = []
        var positions = [Int32](repeating: 0, count: ids.count)
        var low: Int32 = .max, high: Int32 = -1
        for id in ids { low = Swift.min(low, id); high = Swift.max(high, id) }
        if low >= 0, Int(high) < 4 * ids.count + 4096 {
            // Ids of a small span: an array of slots, not a hash table.
            var slot = [Int32](repeating: -1, count: Int(high) + 1)
            for (k, id) in ids.enumerated() {
                if slot[Int(id)] < 0 {
                    slot[Int(id)] = Int32(unique.count)
                    unique.append(id)
                }
                positions[k] = slot[Int(id)]
            }
            return (unique, positions)
        }
        var slot: [Int32: Int32] = [:]
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
