import TrellisCore
import TrellisTensor

/// GAT convolution for one relation (Veličković et al. 2018), as PyG's `GATConv` on a
/// bipartite pair (separate source and target projections) with no self-loops:
///
///     h_j = W_src x_j,  h_i = W_dst x_i                                   // (N, H, C)
///     e_ji = LeakyReLU(a_src · h_j + a_dst · h_i + a_edge · W_e edge_attr_ji)   // per head
///     out_i = combine_h( sum_j softmax_j(e_ji) h_j ) + bias
///
/// The per-node scores are small ops; the edge scoring, softmax and sum are one fused op
/// (`Variable.gatAttention`). Parameter names follow PyG: `lin_src`, `lin_dst`, `lin_edge`
/// (no biases), `att_src`, `att_dst`, `att_edge` (stored (H, C), PyG's (1, H, C)), `bias`.
public final class GATConv: RelationConv {
    public let heads: AttentionHeads
    public let linearSource: Linear        // (H*C, in_src)
    public let linearTarget: Linear        // (H*C, in_dst)
    public let linearEdge: Linear?         // (H*C, F)
    public let attentionSource: Variable   // (H, C)
    public let attentionTarget: Variable   // (H, C)
    public let attentionEdge: Variable?    // (H, C)

    /// Registers its weights under `name` (`<name>.lin_src.weight`, …) in `parameters`.
    /// `edgeWidth` F enables edge features.
    public init(sourceWidth: Int, targetWidth: Int, channels: Int, heads: Int = 1, combination: HeadCombination = .concat,
                negativeSlope: Float = 0.2, edgeWidth: Int? = nil, bias: Bool = true,
                parameters: ParameterStore, name: String, rng: inout SeededGenerator) {
        let h = AttentionHeads(heads: heads, channels: channels, combination: combination, negativeSlope: negativeSlope,
                               bias: bias, parameters: parameters, name: name)
        self.heads = h
        linearSource = Linear(sourceWidth, h.width, bias: false, parameters: parameters, name: "\(name).lin_src", rng: &rng)
        linearTarget = Linear(targetWidth, h.width, bias: false, parameters: parameters, name: "\(name).lin_dst", rng: &rng)
        linearEdge = edgeWidth.map { Linear($0, h.width, bias: false, parameters: parameters, name: "\(name).lin_edge", rng: &rng) }
        attentionSource = parameters.addDense("\(name).att_src", .xavierUniform([heads, channels], using: &rng))
        attentionTarget = parameters.addDense("\(name).att_dst", .xavierUniform([heads, channels], using: &rng))
        attentionEdge = edgeWidth.map { _ in parameters.addDense("\(name).att_edge", .xavierUniform([heads, channels], using: &rng)) }
    }

    public var outputWidth: Int { heads.outputWidth }

    public func callAsFunction(source: Variable, target: Variable, edges: EdgeIndex, edgeFeatures: Variable?) -> Variable {
        precondition((edgeFeatures != nil) == (linearEdge != nil),
                     "GATConv: edge features \(edgeFeatures == nil ? "missing" : "given") but the layer was built \(linearEdge == nil ? "without" : "with") edgeWidth")
        let hs = heads.split(linearSource(source))  // (Ns, H, C)
        let ht = heads.split(linearTarget(target))  // (Nt, H, C)
        var edgeScores: Variable? = nil             // (E, H)
        if let linearEdge, let attentionEdge, let edgeFeatures {
            edgeScores = (heads.split(linearEdge(edgeFeatures)) * attentionEdge).sum(axis: 2)
        }
        let out = Variable.gatAttention(sourceScores: (hs * attentionSource).sum(axis: 2),  // (Ns, H)
                                        targetScores: (ht * attentionTarget).sum(axis: 2),  // (Nt, H)
                                        edgeScores: edgeScores, values: hs, edges: edges,
                                        negativeSlope: heads.negativeSlope)                 // (Nt, H, C)
        return heads.output(out)
    }
}
