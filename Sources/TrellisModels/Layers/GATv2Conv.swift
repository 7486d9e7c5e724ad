import TrellisCore
import TrellisTensor

/// GATv2 convolution for one relation (Brody et al. 2022), as PyG's `GATv2Conv` with
/// `share_weights=False` and no self-loops (relations here are bipartite): for an edge j -> i,
///
///     x_l = W_l x_j + b_l,  x_r = W_r x_i + b_r                          // (N, H, C)
///     e_ji = a · LeakyReLU(x_l[j] + x_r[i] + W_e edge_attr_ji)             // per head
///     out_i = combine_h( sum_j softmax_j(e_ji) x_l[j] ) + bias
///
/// The score, softmax and sum are one fused op (`Variable.gatv2Attention`). Parameter names
/// follow PyG: `lin_l`, `lin_r`, `lin_edge` (no bias), `att` (stored (H, C), PyG's (1, H, C)),
/// `bias`.
public final class GATv2Conv: RelationConv {
    public let heads: AttentionHeads
    public let linearSource: Linear     // (H*C, in_src)
    public let linearTarget: Linear     // (H*C, in_dst)
    public let linearEdge: Linear?      // (H*C, F), no bias
    public let attention: Variable      // (H, C)

    /// Registers its weights under `name` (`<name>.lin_l.weight`, …) in `parameters`.
    /// `edgeWidth` F enables edge features (e.g. the rating, F = 1).
    public init(sourceWidth: Int, targetWidth: Int, channels: Int, heads: Int = 1, combination: HeadCombination = .concat,
                negativeSlope: Float = 0.2, edgeWidth: Int? = nil, bias: Bool = true,
                parameters: ParameterStore, name: String, rng: inout SeededGenerator) {
        let h = AttentionHeads(heads: heads, channels: channels, combination: combination, negativeSlope: negativeSlope,
                               bias: bias, parameters: parameters, name: name)
        self.heads = h
        linearSource = Linear(sourceWidth, h.width, parameters: parameters, name: "\(name).lin_l", rng: &rng)
        linearTarget = Linear(targetWidth, h.width, parameters: parameters, name: "\(name).lin_r", rng: &rng)
        linearEdge = edgeWidth.map { Linear($0, h.width, bias: false, parameters: parameters, name: "\(name).lin_edge", rng: &rng) }
        attention = parameters.addDense("\(name).att", .xavierUniform([heads, channels], using: &rng))
    }

    public var outputWidth: Int { heads.outputWidth }

    public func callAsFunction(source: Variable, target: Variable, edges: EdgeIndex, edgeFeatures: Variable?) -> Variable {
        precondition((edgeFeatures != nil) == (linearEdge != nil),
                     "GATv2Conv: edge features \(edgeFeatures == nil ? "missing" : "given") but the layer was built \(linearEdge == nil ? "without" : "with") edgeWidth")
        let xe = linearEdge.flatMap { lin in edgeFeatures.map { heads.split(lin($0)) } }  // (E, H, C)
        let out = Variable.gatv2Attention(source: heads.split(linearSource(source)),  // (Ns, H, C)
                                          target: heads.split(linearTarget(target)),  // (Nt, H, C)
                                          edge: xe, attention: attention, edges: edges,
                                          negativeSlope: heads.negativeSlope)         // (Nt, H, C)
        return heads.output(out)
    }
}
