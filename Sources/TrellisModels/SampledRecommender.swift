import TrellisCore
import TrellisGraph
import TrellisTensor

/// A recommender trained on sampled neighbourhoods: its embedding tables live with the
/// parameter server (sharded by row), and the model itself holds only dense weights. A step
/// pulls the layer-0 rows of the sampled subgraph, runs `forward`, and pushes row gradients.
///
/// Matrix factorisation is the zero-layer case: the seeds are the inputs.
public protocol SampledRecommender: AnyObject {
    /// Short name used in results (`bpr`, `sage-mean`).
    var name: String { get }
    /// Dense weights only (the tables are not held here).
    var parameters: ParameterStore { get }
    /// Message-passing layers, which is also the sampling depth.
    var layerCount: Int { get }
    /// Weight of the batch L2 term on the seeds' layer-0 rows.
    var regularization: Float { get }
    /// Representations of the seeds, one tensor per node type, from the layer-0 rows of each
    /// type: inputs[t] is (subgraph.nodes[0][t].count, d); result[t] is (nodes[L][t].count, d).
    func forward(_ subgraph: SampledSubgraph, inputs: [Variable]) -> [Variable]
}

/// The embedding tables a sampled recommender reads: one per node type, named
/// `<type>.embedding`, Xavier-normal from the run seed.
public enum InputTables {
    /// Table name of node type `type`.
    public static func name(_ nodeType: String) -> String { "\(nodeType).embedding" }

    /// Initial (count, dimension) tables for the node types of `graph`; the same draws as
    /// `MatrixFactorization` makes for users and items.
    public static func initial(nodeTypes: [String], nodeCounts: [Int], dimension: Int, seed: UInt64) -> [(String, Tensor)] {
        var rng = SeededGenerator(seed: seed, stream: [0x6D66])  // "mf"
        return zip(nodeTypes, nodeCounts).map { (name($0), .xavierNormal([$1, dimension], using: &rng)) }
    }
}

extension SampledRecommender {
    /// BPR loss of `batch` on a subgraph whose seeds are the batch's distinct users and items,
    /// scaled by `share` (this batch's triples over the global step's) so that the sum of the
    /// partitions' losses is the mean over the global step.
    public func loss(_ subgraph: SampledSubgraph, inputs: [Variable], userRows: [Int32], positiveRows: [Int32],
                     negativeRows: [Int32], share: Float) -> Variable {
        let out = forward(subgraph, inputs: inputs)
        let loss = BPRLoss.of(users: out[0], items: out[1], egoUsers: inputs[0], egoItems: inputs[1],
                              userRows: userRows, positiveRows: positiveRows, negativeRows: negativeRows,
                              regularization: regularization)
        return share == 1 ? loss : loss * share
    }
}
