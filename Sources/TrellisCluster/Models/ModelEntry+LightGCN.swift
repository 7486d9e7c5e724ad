import TrellisModels

extension ModelEntry {
    /// LightGCN over every relation of the schema, `model.layers` propagation steps, on the
    /// whole graph each step; tables Xavier-uniform as in the paper and RecBole.
    public static let lightGCN = ModelEntry(name: "lightgcn", scope: .wholeGraph, tables: .xavierUniform,
                                            fanouts: { _, _ in [] }) { config, relations, _ in
        LightGCN(relations: relations, layerCount: config.model.layers)
    }
}
