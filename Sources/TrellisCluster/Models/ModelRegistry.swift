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
        .sasrec,
    ]

    /// The entry of `config.model.kind`, once it has checked the keys its model reads; a
    /// `ConfigError` naming `file` and the key otherwise.
    public static func entry(for config: TrainingConfig, file: String = "<config>") throws -> ModelEntry {
        let kind = config.model.kind
        guard let entry = entries.first(where: { $0.name == kind }) else {
            throw ConfigError(file: file, key: "model.kind", message: "expected one of \(entries.map(\.name)), got '\(kind)'")
        }
        if let (key, problem) = entry.check(config.model) { throw ConfigError(file: file, key: key, message: problem) }
        return entry
    }
}
