import TrellisModels

extension ModelEntry {
    /// GraphSAGE on every relation of the schema, `model.layers` deep, sampling
    /// `model.fanouts` per hop (or the relation's override in `model.relation_fanouts`).
    public static let graphSAGE = ModelEntry(
        name: "sage",
        check: checkFanouts,
        fanouts: configuredFanouts,
        build: { config, relations, nodeTypeCount in
            let m = config.model
            return GraphSAGE(relations: relations, nodeTypeCount: nodeTypeCount, dimension: m.embeddingSize,
                             layerCount: m.layers, aggregator: m.aggregator == .pool ? .pool : .mean, seed: config.seed)
        })
}
