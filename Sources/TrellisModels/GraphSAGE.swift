import TrellisCore
import TrellisGraph
import TrellisTensor

/// GraphSAGE (Hamilton et al. 2017) on a heterogeneous graph, in the form PyG's
/// `to_hetero(SAGEConv)` gives: for each relation r into node type t,
///
///     h'_v += W_r · agg_{u in N_r(v)} m(h_u) + b_r + R_r · h_v
///
/// summed over relations, ReLU between layers, none after the last. The aggregator is
/// `mean` (m = identity) or `pool` (m(h) = relu(P_r h + c_r), element-wise max).
public final class GraphSAGE: LayerwiseRecommender {
    public enum Aggregator: String, Sendable, CaseIterable { case mean, pool }

    public let name: String
    public let parameters = ParameterStore()
    public let layerCount: Int
    public let aggregator: Aggregator
    let relations: [GraphTopology.Relation]
    let typeCount: Int
    /// Per layer, per relation.
    let layers: [[RelationWeights]]

    struct RelationWeights {
        let neighbour: Variable   // (d, d)
        let bias: Variable        // (d)
        let root: Variable        // (d, d)
        let pool: Variable?       // (d, d)
        let poolBias: Variable?   // (d)
    }

    public init(relations: [GraphTopology.Relation], nodeTypeCount: Int, dimension d: Int, layerCount: Int,
                aggregator: Aggregator, seed: UInt64) {
        name = "sage-\(aggregator.rawValue)"
        self.layerCount = layerCount
        self.aggregator = aggregator
        self.relations = relations
        self.typeCount = nodeTypeCount
        var rng = SeededGenerator(seed: seed, stream: [0x7361_6765])  // "sage"
        var layers: [[RelationWeights]] = []
        for l in 0..<layerCount {
            var perRelation: [RelationWeights] = []
            for r in relations {
                let p = "sage.\(l).\(r.name)"
                let usePool = aggregator == .pool
                perRelation.append(RelationWeights(
                    neighbour: parameters.addDense("\(p).neighbour.weight", .xavierUniform([d, d], using: &rng)),
                    bias: parameters.addDense("\(p).neighbour.bias", .zeros([d])),
                    root: parameters.addDense("\(p).root.weight", .xavierUniform([d, d], using: &rng)),
                    pool: usePool ? parameters.addDense("\(p).pool.weight", .xavierUniform([d, d], using: &rng)) : nil,
                    poolBias: usePool ? parameters.addDense("\(p).pool.bias", .zeros([d])) : nil))
            }
            layers.append(perRelation)
        }
        self.layers = layers
    }

    public func layer(_ l: Int, _ g: SampledSubgraph, inputs h: [Variable]) -> [Variable] {
        var next = [Variable?](repeating: nil, count: typeCount)  // next[t]: (nodes[1][t].count, d)
        for (r, relation) in relations.enumerated() {
            let w = layers[l][r]
            let edges = g.edges[0][r]
            let targetCount = g.nodes[1][relation.target].count
            var senders = h[relation.source]
            if let pool = w.pool, let c = w.poolBias { senders = (senders.matmul(pool) + c).relu() }
            let message = aggregator == .mean
                ? senders.neighbourMean(EdgeIndex(g, layer: 0, relation: r, relation))
                : senders.gather(rows: edges.sources).segmentMax(edges.targets, segmentCount: targetCount)  // (targets, d)
            let root = h[relation.target].slice(axis: 0, start: 0, count: targetCount)
            let term = message.matmul(w.neighbour) + w.bias + root.matmul(w.root)
            next[relation.target] = next[relation.target].map { $0 + term } ?? term
        }
        let last = l == layerCount - 1
        return (0..<typeCount).map { t in
            // A type nothing sends to keeps its own rows.
            let v = next[t] ?? h[t].slice(axis: 0, start: 0, count: g.nodes[1][t].count)
            return last ? v : v.relu()
        }
    }
}
