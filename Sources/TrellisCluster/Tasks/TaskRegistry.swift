import TrellisTraining

/// The tasks the engine trains for, one line each, looked up by `task.kind`; the only place
/// that tells one task from another.
public enum TaskRegistry {
    public static let entries: [TaskEntry] = [
        .linkPrediction,
        .rating,
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

    /// The entry, or why a multi-process run refuses it.
    public static func clusterEntry(for config: TrainingConfig) throws -> TaskEntry {
        let entry = try entry(for: config)
        if let refusal = entry.clusterRefusal { throw PlanError("task.kind \(entry.name) does not run in a cluster: \(refusal)") }
        return entry
    }
}
