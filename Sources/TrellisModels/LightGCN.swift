import TrellisCore
import TrellisData
import TrellisTensor

/// LightGCN (He et al. 2020): embeddings smoothed over the user-item graph with no weights or
/// non-linearities, E(k+1) = Â E(k), Â = D^-1/2 A D^-1/2, and the final representation the
/// mean of E(0) … E(K).
///
/// ```
///  E0 = [users; items]  (U+I, d)
///  E1 = Â E0,  E2 = Â E1, …          Â: (U+I) x (U+I), symmetric
///  E  = (E0 + E1 + … + EK) / (K+1)   score(u, i) = <E[u], E[U+i]>
/// ```
public final class LightGCN: Recommender {
    public let name = "lightgcn"
    public let parameters = ParameterStore()
    public let userEmbedding: EmbeddingTable   // (U, d)
    public let itemEmbedding: EmbeddingTable   // (I, d)
    public let layerCount: Int
    public let regularization: Float
    /// Â over users then items: (U+I) x (U+I).
    public let adjacency: SparseMatrix
    public let userCount: Int
    public let itemCount: Int

    /// A model over the training interactions `interactions` (user -> items, deduplicated).
    public init(interactions: CSRMatrix, dimension: Int, layerCount: Int, regularization: Float, seed: UInt64) {
        userCount = interactions.rowCount
        itemCount = interactions.columnCount
        var rng = SeededGenerator(seed: seed, stream: [0x6C67636E])  // "lgcn"
        userEmbedding = parameters.addTable("user.embedding", .xavierUniform([userCount, dimension], using: &rng))
        itemEmbedding = parameters.addTable("item.embedding", .xavierUniform([itemCount, dimension], using: &rng))
        self.layerCount = layerCount
        self.regularization = regularization
        adjacency = Self.normalisedAdjacency(interactions)
    }

    /// Â = D^-1/2 A D^-1/2 of the bipartite graph, users first then items.
    public static func normalisedAdjacency(_ interactions: CSRMatrix) -> SparseMatrix {
        let u = interactions.rowCount, n = u + interactions.columnCount
        var degree = [Float](repeating: 0, count: n)
        for user in 0..<u {
            for item in interactions.row(user) { degree[user] += 1; degree[u + Int(item)] += 1 }
        }
        var rows: [Int32] = [], cols: [Int32] = [], vals: [Float] = []
        rows.reserveCapacity(2 * interactions.nnz); cols.reserveCapacity(2 * interactions.nnz); vals.reserveCapacity(2 * interactions.nnz)
        for user in 0..<u {
            for item in interactions.row(user) {
                let j = u + Int(item)
                let w = 1 / (degree[user] * degree[j]).squareRoot()
                rows.append(Int32(user)); cols.append(Int32(j)); vals.append(w)
                rows.append(Int32(j)); cols.append(Int32(user)); vals.append(w)
            }
        }
        return SparseMatrix(rowCount: n, columnCount: n, rows: rows, columns: cols, values: vals)
    }

    /// Mean of the K+1 propagated layers: (U+I, d).
    func propagate(_ e0: Variable) -> Variable {
        Variable.propagationMean(adjacency, e0, layers: layerCount)
    }

    public func loss(_ batch: TripletBatch) -> Variable {
        let e0 = Variable.concat([userEmbedding.all(), itemEmbedding.all()], axis: 0)   // (U+I, d)
        let final = propagate(e0)                                                        // (U+I, d)
        let offset = Int32(userCount)
        // Users and items share the joint node table; items sit after the users. The L2 term
        // acts on the layer-0 (ego) rows, as in the paper.
        return BPRLoss.of(users: final, items: final, egoUsers: e0, egoItems: e0, userRows: batch.users,
                          positiveRows: batch.positives.map { $0 + offset },
                          negativeRows: batch.negatives.map { $0 + offset }, regularization: regularization)
    }

    public func rankingEmbeddings() -> (users: Tensor, items: Tensor) {
        let e0 = Variable.concat([Variable(userEmbedding.weights), Variable(itemEmbedding.weights)], axis: 0)
        let final = propagate(e0)
        let parts = final.split(sizes: [userCount, itemCount], axis: 0)
        return (parts[0].value, parts[1].value)
    }
}
