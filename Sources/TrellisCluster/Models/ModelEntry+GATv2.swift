import TrellisModels

extension ModelEntry {
    /// GATv2 on every relation of the schema (2 heads, concatenated), `model.layers` deep,
    /// sampling `model.fanouts` per hop (or the relation's override), with a rating head.
    public static let gatv2 = ModelEntry(
        name: "gatv2",
        fanouts: configuredFanouts,
        build: { config, relations, nodeTypeCount in
            let m = config.model
            return HeteroGATv2(relations: relations, nodeTypeCount: nodeTypeCount, dimension: m.embeddingSize,
                               layerCount: m.layers, heads: 2, seed: config.seed)
        })
}
