import TrellisCore
import TrellisGraph
import TrellisTensor

/// The users' "user as critic" model (seed 004): GATv2 attention over the user-item graph,
/// as PyG's `HeteroConv({rel: GATv2Conv(...)})` stacked twice, with a rating head. For each
/// layer l and node type t:
///
///     h'_t = sum_{r : target(r) = t} GATv2_r(h[source(r)], h_t, edges_r) + S_t h_t    // (Nt, d)
///     an activation between layers (ReLU, tanh or none), none after the last
///
/// Each GATv2Conv has `heads` heads of d / heads channels, concatenated, so every layer keeps
/// width d (= `model.embedding_size`). `S_t` is a per-type linear skip (PyG's usual
/// `conv(x) + lin(x)`): GATv2 on a bipartite relation never sends a node its own row. A
/// relation with edge attributes (the rating) feeds them to its GATv2's attention score as
/// PyG's `edge_dim` does (`lin_edge`, (H·C, F)); the values are not part of the messages. The
/// rating head scores a (user, item) pair from their outputs, by an MLP or a dot product:
///
///     mlp: score(u, i) = W_2 ReLU(W_1 [h_u ; h_i] + b_1) + b_2       // (B, 2d) -> (B, d) -> (B)
///     dot: score(u, i) = h_u · h_i                                    // (B)
///
/// On a rating graph whose taste is bilinear (Letterboxd's planted p_u · q_i) the MLP on the
/// concatenation and ReLU between layers both hold the model at the bias level; the dot head
/// with tanh or no activation learns the taste (README, "Letterboxd at full scale").
///
/// Parameter names follow PyG: `gatv2.<layer>.<relation>.lin_l.weight`, `gatv2.<layer>.skip.<t>.weight`,
/// `head.0.weight`, `head.2.weight` (an `nn.Sequential(Linear, ReLU, Linear)`; none for `dot`).
public final class HeteroGATv2: LayerwiseRecommender {
    public let name = "gatv2"
    public let parameters = ParameterStore()
    public let layerCount: Int
    let convolutions: [HeteroConv]
    /// Per layer, per node type.
    let skips: [[Linear]]
    let activation: Activation
    /// The MLP head's layers, (d, 2d) and (1, d); nil for the dot head.
    let head: (hidden: Linear, output: Linear)?

    public enum Head: Sendable { case mlp, dot }
    public enum Activation: Sendable { case relu, tanh, none }

    /// `relations` between `nodeTypeCount` node types; `dimension` must divide by `heads`.
    public init(relations: [GraphTopology.Relation], nodeTypeCount: Int, dimension d: Int, layerCount: Int,
                heads: Int = 2, head: Head = .mlp, activation: Activation = .relu, seed: UInt64) {
        precondition(d % heads == 0, "HeteroGATv2: embedding size \(d) does not divide into \(heads) heads")
        self.layerCount = layerCount
        var rng = SeededGenerator(seed: seed, stream: [0x6761_7476_32])  // "gatv2"
        let parameters = self.parameters
        var convolutions: [HeteroConv] = [], skips: [[Linear]] = []
        for l in 0..<layerCount {
            let convs: [RelationConv] = relations.map { r in
                GATv2Conv(sourceWidth: d, targetWidth: d, channels: d / heads, heads: heads, combination: .concat,
                          edgeWidth: r.attributes.isEmpty ? nil : r.attributes.count,
                          parameters: parameters, name: "gatv2.\(l).\(r.name)", rng: &rng)
            }
            convolutions.append(HeteroConv(relations: relations, convolutions: convs, aggregation: .sum))
            skips.append((0..<nodeTypeCount).map { t in
                Linear(d, d, bias: false, parameters: parameters, name: "gatv2.\(l).skip.\(t)", rng: &rng)
            })
        }
        self.convolutions = convolutions
        self.skips = skips
        self.activation = activation
        self.head = head == .dot ? nil : (Linear(2 * d, d, parameters: parameters, name: "head.0", rng: &rng),
                                          Linear(d, 1, parameters: parameters, name: "head.2", rng: &rng))
    }

    public func layer(_ l: Int, _ g: SampledSubgraph, inputs h: [Variable]) -> [Variable] {
        let messages = convolutions[l](g, layer: 0, h, edgeFeatures: edgeFeatures(g, layer: 0))
        let last = l == layerCount - 1
        return h.indices.map { t in
            let count = g.nodes[1][t].count
            let own = h[t].shape[0] == count ? h[t] : h[t].slice(axis: 0, start: 0, count: count)
            let skip = skips[l][t](own)
            let v = messages[t].map { $0 + skip } ?? skip
            if last { return v }
            switch activation {
            case .relu: return v.relu()
            case .tanh: return v.tanh()
            case .none: return v
            }
        }
    }

    /// Layer l's edge attributes per relation, (E_r, F_r), or nil where a relation has none
    /// (every layer convolves the same relations).
    func edgeFeatures(_ g: SampledSubgraph, layer l: Int) -> [Variable?]? {
        let relations = convolutions[0].relations
        guard relations.contains(where: { !$0.attributes.isEmpty }) else { return nil }
        return zip(relations, g.edges[l]).map { r, e in
            r.attributes.isEmpty ? nil : Variable(Tensor(shape: [e.count, r.attributes.count], data: e.values))
        }
    }

    public func score(users: Variable, items: Variable) -> Variable {
        guard let (hidden, output) = head else { return (users * items).sum(axis: 1) }  // (B)
        let pair = Variable.concat([users, items], axis: 1)       // (B, 2d)
        let b = pair.shape[0]
        return output(hidden(pair).relu()).reshaped([b])        // (B)
    }
}
