import TrellisGraph
import TrellisTensor

/// LightGCN (He et al. 2020): embeddings smoothed over the graph with no weights or
/// non-linearities, E(k+1) = Â E(k), Â = D^-1/2 A D^-1/2, and the final representation the
/// mean of E(0) … E(K).
///
/// ```
///  E0 = [users; items]  (U+I, d)     node types stacked in type order
///  E1 = Â E0,  E2 = Â E1, …          Â: (U+I) x (U+I), every relation's edges
///  E  = (E0 + E1 + … + EK) / (K+1)   split back per type
/// ```
///
/// A whole-graph model: its batch is the whole training graph (its registry entry says so),
/// so `forward` reads the subgraph's edges once to build Â and reuses it while the engine
/// hands it the same graph.
public final class LightGCN: SampledRecommender {
    public let name = "lightgcn"
    public let parameters = ParameterStore()
    public let layerCount: Int
    let relations: [GraphTopology.Relation]
    /// Â of the last graph seen, and that graph's layer-0 edges (compared by value; the
    /// engine passes the same arrays every step, which compare in O(1)).
    private var cached: (edges: [SampledSubgraph.Edges], counts: [Int], matrix: SparseMatrix)?

    public init(relations: [GraphTopology.Relation], layerCount: Int) {
        self.relations = relations
        self.layerCount = layerCount
    }

    /// inputs[t]: every type-t node's embedding (count_t, d) -> the same shapes, propagated.
    public func forward(_ subgraph: SampledSubgraph, inputs: [Variable]) -> [Variable] {
        let counts = inputs.map { $0.shape[0] }
        precondition(subgraph.nodes.allSatisfy { $0.map(\.count) == counts }, "LightGCN propagates over the whole graph")
        let e0 = Variable.concat(inputs, axis: 0)                                            // (N, d)
        let mean = Variable.propagationMean(adjacency(subgraph, counts: counts), e0, layers: layerCount)  // (N, d)
        return mean.split(sizes: counts, axis: 0)
    }

    /// Â over the node types stacked in order.
    func adjacency(_ subgraph: SampledSubgraph, counts: [Int]) -> SparseMatrix {
        let edges = subgraph.edges.first ?? relations.map { _ in SampledSubgraph.Edges() }
        if let c = cached, c.counts == counts, c.edges == edges { return c.matrix }
        let matrix = Self.normalisedAdjacency(relations: relations, edges: edges, counts: counts)
        cached = (edges, counts, matrix)
        return matrix
    }

    /// D_in^-1/2 A D_out^-1/2 with every relation's edges in one square matrix over the stacked
    /// node types. On a graph whose relations come in reverse pairs (user->item, item->user)
    /// in- and out-degrees agree: the paper's symmetric D^-1/2 A D^-1/2.
    public static func normalisedAdjacency(relations: [GraphTopology.Relation], edges: [SampledSubgraph.Edges],
                                           counts: [Int]) -> SparseMatrix {
        precondition(edges.count == relations.count, "one edge list per relation")
        let offsets = counts.reduce(into: [0]) { $0.append($0.last! + $1) }
        let n = offsets.last!
        var indegree = [Float](repeating: 0, count: n), outdegree = [Float](repeating: 0, count: n)
        var rows: [Int32] = [], cols: [Int32] = []
        let total = edges.reduce(0) { $0 + $1.count }
        rows.reserveCapacity(total); cols.reserveCapacity(total)
        for (relation, e) in zip(relations, edges) {
            let (so, to) = (offsets[relation.source], offsets[relation.target])
            for k in 0..<e.count {
                let (s, t) = (so + Int(e.sources[k]), to + Int(e.targets[k]))
                indegree[t] += 1
                outdegree[s] += 1
                rows.append(Int32(t)); cols.append(Int32(s))
            }
        }
        let values = zip(rows, cols).map { 1 / (indegree[Int($0)] * outdegree[Int($1)]).squareRoot() }
        return SparseMatrix(rowCount: n, columnCount: n, rows: rows, columns: cols, values: values)
    }
}
