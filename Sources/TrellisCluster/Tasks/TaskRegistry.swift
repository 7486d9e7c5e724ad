import TrellisTraining

/// The tasks the engine trains for, one line each, looked up by `task.kind`; the only place
/// that tells one task from another.
public enum TaskRegistry {
    public static let entries: [TaskEntry] = [
        .linkPrediction,
        .rating,
        .nextItem,
    ]

    /// The entry of `config.task.kind`.
    public static func entry(for config: TrainingConfig) throws -> TaskEntry {
        let kind = config.task.kind.rawValue
        guard let entry = entries.first(where: { $0.name == kind }) else {
            throw PlanError("task.kind \(kind) has no entry in the task registry (TaskRegistry.entries); "
                            + "registered: \(entries.map(\.name).joined(separator: ", "))")
        }
        return entry
    }

}
