import TrellisTraining

/// How the engine runs one kind of task: its name (the `task.kind` it answers to) and how a
/// process builds it. The one-process engine, a worker and the coordinator all build their
/// task here.
public struct TaskEntry: Sendable {
    /// The `task.kind` this entry answers to (`link_prediction`, `rating`).
    public let name: String
    /// Why the cluster (`trellis coordinator start`) does not run this task yet; nil if it does.
    public let clusterRefusal: String?
    /// The task of a process that holds `inputs`; throws when the inputs lack what it needs.
    public let make: @Sendable (_ config: TrainingConfig, _ inputs: TaskInputs) throws -> TrainingTask

    public init(name: String, clusterRefusal: String? = nil,
                make: @escaping @Sendable (TrainingConfig, TaskInputs) throws -> TrainingTask) {
        self.name = name
        self.clusterRefusal = clusterRefusal
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
    public static let rating = TaskEntry(
        name: "rating",
        clusterRefusal: "the assignment message does not carry ratings to workers yet; run it in one process with `trellis train`"
    ) { config, inputs in
        try RatingTask(config: config, inputs: inputs)
    }
}
