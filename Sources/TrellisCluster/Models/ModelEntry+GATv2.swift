import TrellisModels

extension ModelEntry {
    /// GATv2 on every relation of the schema (2 heads, concatenated), `model.layers` deep,
    /// sampling `model.fanouts` per hop (or the relation's override), `model.activation` between
    /// layers, with a rating head (`model.head`: an MLP or the dot product).
    public static let gatv2 = ModelEntry(
        name: "gatv2",
        check: { m in
            guard m.embeddingSize % 2 == 0 else {
                return ("model.embedding_size", "expected an even size for gatv2 (2 heads of embedding_size / 2 channels), got \(m.embeddingSize)")
            }
            return checkFanouts(m)
        },
        fanouts: configuredFanouts,
        build: { config, relations, nodeTypeCount in
            let m = config.model
            let head: HeteroGATv2.Head = switch m.head { case .mlp: .mlp; case .dot: .dot }
            let activation: HeteroGATv2.Activation = switch m.activation { case .relu: .relu; case .tanh: .tanh; case .none: .none }
            return HeteroGATv2(relations: relations, nodeTypeCount: nodeTypeCount, dimension: m.embeddingSize,
                               layerCount: m.layers, heads: 2, head: head, activation: activation, seed: config.seed)
        })
}
