import TrellisGraph
import TrellisTensor

/// One relation's convolution: messages along edges j -> i from source rows to target rows
/// (PyG's `MessagePassing` on a bipartite `(x_src, x_dst)` pair). `HeteroConv` holds one per
/// relation.
public protocol RelationConv: AnyObject {
    /// Width of each output row.
    var outputWidth: Int { get }
    /// source (Ns, in_src), target (Nt, in_dst) -> (Nt, outputWidth); `edgeFeatures` is
    /// (E, F) in input edge order, for convolutions built to take them (nil otherwise). A
    /// target with no incoming edge gets its bias (and root term, where the conv has one).
    func callAsFunction(source: Variable, target: Variable, edges: EdgeIndex, edgeFeatures: Variable?) -> Variable
}

extension EdgeIndex {
    /// Relation `relation`'s edges feeding layer l + 1 of a sampled subgraph from layer l.
    public convenience init(_ g: SampledSubgraph, layer l: Int, relation r: Int, _ relation: GraphTopology.Relation) {
        let e = g.edges[l][r]
        self.init(sources: e.sources, targets: e.targets,
                  sourceCount: g.nodes[l][relation.source].count, targetCount: g.nodes[l + 1][relation.target].count)
    }
}
