import TrellisTraining

/// The models the partitioned engine runs, one line each. Adding a model is its own files
/// (the model in TrellisModels, its `ModelEntry` here) plus one line in `entries`; the
/// worker, the protocol and the checkpoints do not change.
public enum ModelRegistry {
    /// Every model the engine can train, looked up by `model.kind`.
    public static let entries: [ModelEntry] = [
        .matrixFactorization,
        .graphSAGE,
        .gatv2,
        .lightGCN,
    ]

    /// The entry of `config.model.kind`.
    public static func entry(for config: TrainingConfig) throws -> ModelEntry {
        let kind = config.model.kind.rawValue
        if let entry = entries.first(where: { $0.name == kind }) { return entry }
        throw PlanError("model.kind \(kind) has no entry in the model registry (ModelRegistry.entries); "
                        + "registered: \(entries.map(\.name).joined(separator: ", "))")
    }
}
