import TrellisCore
import TrellisGraph
import TrellisTensor

/// A model trained on sampled neighbourhoods: subgraph + layer-0 rows -> outputs per node
/// type, nothing more. Its embedding tables live with the parameter server (sharded by row),
/// and the model itself holds only dense weights. A step pulls the layer-0 rows of the
/// sampled subgraph, runs `forward`, and the run's task turns the outputs into a loss.
///
/// Matrix factorisation is the zero-layer case: the seeds are the inputs.
public protocol SampledRecommender: AnyObject {
    /// Short name used in results (`bpr`, `sage-mean`).
    var name: String { get }
    /// Dense weights only (the tables are not held here).
    var parameters: ParameterStore { get }
    /// Message-passing layers, which is also the sampling depth.
    var layerCount: Int { get }
    /// Representations of the seeds, one tensor per node type, from the layer-0 rows of each
    /// type: inputs[t] is (subgraph.nodes[0][t].count, d); result[t] is (nodes[L][t].count, d).
    func forward(_ subgraph: SampledSubgraph, inputs: [Variable]) -> [Variable]
    /// A score per (user, item) pair from their outputs: users (B, d), items (B, d) -> (B).
    /// The rating task predicts with it; the default is the dot product.
    func score(users: Variable, items: Variable) -> Variable
}

/// A model whose forward pass is its layers applied in turn, each reading only the previous
/// layer's rows: evaluation can then embed every node one layer at a time, in chunks of
/// targets (PyG's layer-wise `inference`), so no activation spans all edges.
public protocol LayerwiseRecommender: SampledRecommender {
    /// Layer `l` on a one-layer `block` (nodes[0] -> nodes[1] over edges[0]): inputs[t] is
    /// (block.nodes[0][t].count, d_l), the result (block.nodes[1][t].count, d_l+1).
    func layer(_ l: Int, _ block: SampledSubgraph, inputs: [Variable]) -> [Variable]
}

extension LayerwiseRecommender {
    /// The layers in turn over the subgraph's blocks.
    public func forward(_ g: SampledSubgraph, inputs: [Variable]) -> [Variable] {
        precondition(g.layerCount == layerCount, "subgraph has \(g.layerCount) layers, model \(layerCount)")
        return (0..<layerCount).reduce(inputs) { h, l in layer(l, g.block(l), inputs: h) }
    }
}

extension SampledRecommender {
    /// Row-wise dot product: (B, d), (B, d) -> (B).
    public func score(users: Variable, items: Variable) -> Variable { (users * items).sum(axis: 1) }
}

/// The embedding tables a sampled recommender reads: one per node type, named
/// `<type>.embedding`, drawn from the run seed.
public enum InputTables {
    /// Xavier-normal (RecBole's BPR) or Xavier-uniform (RecBole's and the paper's LightGCN).
    public enum Distribution: Sendable { case xavierNormal, xavierUniform }

    /// Table name of node type `type`.
    public static func name(_ nodeType: String) -> String { "\(nodeType).embedding" }

    /// Initial (count, dimension) tables for the node types, one stream of the run seed; the
    /// types in `empty` get (0, dimension) tables, their draws skipped so that the other
    /// tables are what they would be beside full ones.
    public static func initial(nodeTypes: [String], nodeCounts: [Int], dimension: Int, seed: UInt64,
                               distribution: Distribution = .xavierNormal, empty: Set<Int> = []) -> [(String, Tensor)] {
        var rng = SeededGenerator(seed: seed, stream: [0x6D66])  // "mf"
        return zip(nodeTypes, nodeCounts).enumerated().map { t, pair in
            let (type, count) = pair
            if empty.contains(t) {
                for _ in 0..<(count * dimension) {
                    switch distribution {
                    case .xavierNormal: _ = rng.nextNormal()
                    case .xavierUniform: _ = rng.nextFloat()
                    }
                }
                return (name(type), Tensor(shape: [0, dimension], data: []))
            }
            switch distribution {
            case .xavierNormal: return (name(type), .xavierNormal([count, dimension], using: &rng))
            case .xavierUniform: return (name(type), .xavierUniform([count, dimension], using: &rng))
            }
        }
    }
}
