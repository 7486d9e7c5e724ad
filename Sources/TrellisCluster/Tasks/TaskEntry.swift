import TrellisGraph
import TrellisModels
import TrellisTraining

/// How the engine runs one kind of task: its name (the `task.kind` it answers to) and how a
/// process builds it. The one-process engine, a worker and the coordinator all build their
/// task here.
public struct TaskEntry: Sendable {
    /// The `task.kind` this entry answers to (`link_prediction`, `rating`).
    public let name: String
    /// Whether its batches need the links' ratings (sent to workers with their links).
    public let usesRatings: Bool
    /// Whether the task reads each user's links as a sequence: the plan then lists links (and
    /// held-out links) in time order, ties in file order, instead of file order.
    public let timeOrdered: Bool
    /// Node types whose rows its batches never read (a sequence batch reads items only): their
    /// embedding tables are kept empty, so no process stores, pulls or checkpoints them.
    public let unreadTypes: Set<Int>
    /// The examples one partition's training links (their users, in link order) make: the
    /// links themselves, or a sequence task's windows. Steps per epoch and the loss's
    /// normalisation count these.
    public let examples: @Sendable (_ config: TrainingConfig, _ users: [Int32]) -> Int
    /// Why the task cannot train `model` (nil when it can): a sequence task needs a sequence
    /// model, and the pair tasks one that represents nodes.
    public let accepts: @Sendable (_ model: SampledRecommender) -> String?
    /// The task of a process that holds `inputs`; throws when the inputs lack what it needs.
    public let make: @Sendable (_ config: TrainingConfig, _ inputs: TaskInputs) throws -> TrainingTask

    public init(name: String, usesRatings: Bool = false, timeOrdered: Bool = false, unreadTypes: Set<Int> = [],
                examples: @escaping @Sendable (TrainingConfig, [Int32]) -> Int = { _, users in users.count },
                accepts: @escaping @Sendable (SampledRecommender) -> String? = TaskEntry.pairModels,
                make: @escaping @Sendable (TrainingConfig, TaskInputs) throws -> TrainingTask) {
        self.name = name
        self.usesRatings = usesRatings
        self.timeOrdered = timeOrdered
        self.unreadTypes = unreadTypes
        self.examples = examples
        self.accepts = accepts
        self.make = make
    }

    /// Tasks that score (user, item) pairs train any model but a sequence model.
    public static let pairModels: @Sendable (SampledRecommender) -> String? = { model in
        model is SequenceRecommender ? "\(model.name) is a sequence model: it trains with task.kind next_item" : nil
    }
}

extension TaskEntry {
    /// BPR link prediction with full-ranking evaluation.
    public static let linkPrediction = TaskEntry(name: "link_prediction") { config, inputs in
        LinkPredictionTask(config: config, links: inputs.links, exampleCounts: inputs.exampleCounts,
                           stepsPerEpoch: inputs.stepsPerEpoch, itemCount: inputs.itemCount, knownItems: inputs.knownItems)
    }

    /// Rating regression (MSE) with RMSE and MAE.
    public static let rating = TaskEntry(name: "rating", usesRatings: true) { config, inputs in
        try RatingTask(config: config, inputs: inputs)
    }

    /// Next-item prediction over each user's training links in time order (SASRec).
    public static let nextItem = TaskEntry(
        name: "next_item",
        timeOrdered: true,
        unreadTypes: [GraphTopology.user],
        examples: { config, users in SequenceWindows.count(users: users, maxLength: config.model.maxLength, positions: config.task.positions) },
        accepts: { $0 is SequenceRecommender ? nil : "\($0.name) is not a sequence model; task.kind next_item trains one (sasrec)" },
        make: { config, inputs in NextItemTask(config: config, inputs: inputs) })
}
