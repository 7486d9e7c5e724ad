import TrellisTraining

/// How the engine runs one kind of task: its name (the `task.kind` it answers to) and how a
/// process builds it. The one-process engine, a worker and the coordinator all build their
/// task here.
public struct TaskEntry: Sendable {
    /// The `task.kind` this entry answers to (`link_prediction`, `rating`).
    public let name: String
    /// Whether its batches need the links' ratings (sent to workers with their links).
    public let usesRatings: Bool
    /// The task of a process that holds `inputs`; throws when the inputs lack what it needs.
    public let make: @Sendable (_ config: TrainingConfig, _ inputs: TaskInputs) throws -> TrainingTask

    public init(name: String, usesRatings: Bool = false, make: @escaping @Sendable (TrainingConfig, TaskInputs) throws -> TrainingTask) {
        self.name = name
        self.usesRatings = usesRatings
        self.make = make
    }
}

extension TaskEntry {
    /// BPR link prediction with full-ranking evaluation.
    public static let linkPrediction = TaskEntry(name: "link_prediction") { config, inputs in
        LinkPredictionTask(config: config, links: inputs.links, linkCounts: inputs.linkCounts,
                           stepsPerEpoch: inputs.stepsPerEpoch, itemCount: inputs.itemCount, knownItems: inputs.knownItems)
    }

    /// Rating regression (MSE) with RMSE and MAE.
    public static let rating = TaskEntry(name: "rating", usesRatings: true) { config, inputs in
        try RatingTask(config: config, inputs: inputs)
    }
}
