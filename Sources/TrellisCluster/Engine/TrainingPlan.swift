import TrellisCore
import TrellisData
import TrellisGraph
import TrellisModels
import TrellisTensor
import TrellisTraining
import TrellisWire

/// Everything every role derives the same way from the config and the dataset: the graph, its
/// partitioning, each partition's training links, the step count, the tables. The coordinator
/// (or a one-process run) builds it from the whole dataset; workers receive the parts they need.
public struct TrainingPlan: Sendable {
    public let config: TrainingConfig
    public let graph: GraphTopology
    public let book: PartitionBook
    public let report: PartitionReport
    /// Training links per partition: users owned by the partition and their items.
    public let links: [(users: [Int32], items: [Int32])]
    /// The ratings of each partition's links, in `links` order (the rating task's targets).
    public let ratings: [[Float]]
    /// Mean training rating (summed in Double) and the scale predictions are clipped to:
    /// `data.rating_scale`, else the lowest to highest training rating.
    public let ratingMean: Float
    public let ratingScale: ClosedRange<Float>?
    /// Each partition's training examples (`TaskEntry.examples` of its links).
    public let exampleCounts: [Int]
    /// Global steps per epoch: ceil(training examples / batch size), or `training.steps_per_epoch`
    /// where that is fewer (the epoch then trains the first of its batches, in its order).
    public let stepsPerEpoch: Int
    /// Every table the parameter server holds: one trainable embedding per node type (in
    /// node-type order), then one frozen feature table per `graph.schema.features` entry.
    public let tables: [TableSpec]
    /// The frozen tables' rows, in `graph.schema.features` order ((n_t, width), row-major).
    public let featureValues: [[Float]]
    /// Embedding rows that start from a trained matrix (`model.pretrained`), per node type.
    public let pretrained: [PretrainedRows]
    /// The registry's entry of `config.model.kind`: how to build the model and sample for it.
    public let modelEntry: ModelEntry
    /// The registry's entry of `config.task.kind`: how to build the task.
    public let taskEntry: TaskEntry

    public struct TableSpec: Sendable, Equatable {
        public var name: String
        public var rows: Int
        public var dimension: Int
        public var kind: TableKind
        /// Precision of the values (a frozen table's are rounded to it when loaded).
        public var encoding: ValueEncoding
        public init(name: String, rows: Int, dimension: Int, kind: TableKind = .trainable, encoding: ValueEncoding = .float32) {
            self.name = name
            self.rows = rows
            self.dimension = dimension
            self.kind = kind
            self.encoding = encoding
        }
    }

    public init(config: TrainingConfig, dataset: PreparedDataset) throws {
        modelEntry = try ModelRegistry.entry(for: config)
        taskEntry = try TaskRegistry.entry(for: config)
        try Self.checkPartitions(config, dataset: dataset)
        self.config = config
        let train = dataset.split.train
        let features = try Self.features(config, dataset: dataset)
        graph = try Self.graph(config, taskEntry: taskEntry, dataset: dataset).with(features: features.map(\.schema))
        featureValues = features.map(\.values)
        pretrained = try Self.pretrained(config, dataset: dataset)
        let relations = graph.relations.map(\.name)
        for name in config.model.relationFanouts.keys.sorted() where !relations.contains(name) {
            throw ConfigError(file: "<config>", key: "model.relation_fanouts.\(name)",
                              message: "unknown relation; the graph has \(relations)")
        }
        let method = Partitioner(rawValue: config.cluster.partitioner.rawValue)!
        book = method.partition(graph, into: config.cluster.partitions, seed: config.seed)
        report = PartitionReport(method: method.rawValue, book: book, graph: graph)
        var links = [(users: [Int32], items: [Int32])](repeating: ([], []), count: config.cluster.partitions)
        var ratings = [[Float]](repeating: [], count: config.cluster.partitions)
        for k in Self.rowOrder(train, byTime: taskEntry.timeOrdered) {
            let p = book.owner(type: GraphTopology.user, node: train.users[k])
            links[p].users.append(train.users[k])
            links[p].items.append(train.items[k])
            ratings[p].append(train.ratings[k])
        }
        self.links = links
        self.ratings = ratings
        ratingMean = Float(train.ratings.reduce(0.0) { $0 + Double($1) } / Double(max(1, train.count)))
        ratingScale = config.data.ratingScale.map { Float($0[0])...Float($0[1]) }
            ?? train.ratings.min().flatMap { low in train.ratings.max().map { low...$0 } }
        let entry = taskEntry
        exampleCounts = links.map { entry.examples(config, $0.users) }
        let slices = Self.slices(exampleCounts: exampleCounts, batchSize: config.training.batchSize)
        stepsPerEpoch = config.training.stepsPerEpoch > 0 ? min(config.training.stepsPerEpoch, slices) : slices
        if let problem = entry.accepts(modelEntry.build(config, graph.relations, graph.nodeTypes.count)) {
            throw ConfigError(file: "<config>", key: "model.kind", message: problem)
        }
        let counts = graph.nodeCounts
        tables = zip(graph.nodeTypes, counts).map {
            TableSpec(name: InputTables.name($0), rows: $1, dimension: config.model.embeddingSize)
        } + features.map {
            TableSpec(name: $0.schema.name, rows: counts[$0.schema.nodeType], dimension: $0.schema.width, kind: .frozen, encoding: $0.encoding)
        }
    }

    /// The batches an epoch's examples are cut into: ceil(examples / batch size). Every role
    /// derives it from the example counts, so a capped epoch (`training.steps_per_epoch`) still
    /// cuts batches of the configured size.
    public static func slices(exampleCounts: [Int], batchSize: Int) -> Int {
        max(1, (exampleCounts.reduce(0, +) + batchSize - 1) / batchSize)
    }

    /// The rows of `table` in file order, or in time order (ties in file order) for a task
    /// that reads each user's links as a sequence.
    static func rowOrder(_ table: InteractionTable, byTime: Bool) -> [Int] {
        guard byTime else { return Array(0..<table.count) }
        let t = table.timestamps
        return (0..<table.count).sorted { t[$0] < t[$1] || (t[$0] == t[$1] && $0 < $1) }
    }

    /// Links are sharded by their user's partition: more partitions than users with training
    /// links would leave some with nothing to train (and cost a step of each per step).
    static func checkPartitions(_ config: TrainingConfig, dataset: PreparedDataset) throws {
        let partitions = config.cluster.partitions
        let users = (0..<dataset.trainItems.rowCount).reduce(0) { $0 + (dataset.trainItems.rowLength($1) > 0 ? 1 : 0) }
        guard partitions <= min(users, ClusterSettings.maxPartitions) else {
            throw PlanError("cluster.partitions \(partitions): expected at most \(min(users, ClusterSettings.maxPartitions)) "
                            + "(the training links are sharded by user, and \(dataset.name) has \(users) users with training links)")
        }
    }

    /// The partitions whose adjacency a worker owning `owned` holds: its own, or every one for
    /// a whole-graph model (which propagates over all of it each step).
    public func heldPartitions(_ owned: [Int]) -> [Int] {
        modelEntry.scope == .wholeGraph ? Array(0..<config.cluster.partitions) : owned
    }

    /// Fanouts per relation and hop, with per-relation overrides applied.
    public var fanouts: [[Int]] { graph.relations.map { modelEntry.fanouts(config.model, $0) } }

    /// The model's dense part, initialised from the seed.
    public func makeModel() -> SampledRecommender {
        modelEntry.build(config, graph.relations, graph.nodeTypes.count)
    }

    /// The same from the graph's schema alone (what a worker knows); throws for a model kind
    /// the registry does not run.
    public static func makeModel(_ config: TrainingConfig, relations: [GraphTopology.Relation], nodeTypeCount: Int) throws -> SampledRecommender {
        try ModelRegistry.entry(for: config).build(config, relations, nodeTypeCount)
    }

    /// What turns the pulled tables into each node type's layer-0 rows (features projected).
    public func makeInputLayer() -> InputLayer {
        InputLayer(schema: graph.schema, dimension: config.model.embeddingSize, seed: config.seed)
    }

    /// The task of a process that only evaluates (the coordinator, or a one-process run's
    /// `TrainingRun`): no links, the whole training set's rating facts.
    public func makeEvaluationTask() throws -> TrainingTask {
        var inputs = TaskInputs()
        inputs.exampleCounts = exampleCounts
        inputs.stepsPerEpoch = Self.slices(exampleCounts: exampleCounts, batchSize: config.training.batchSize)
        inputs.itemCount = graph.nodeCounts[GraphTopology.item]
        inputs.ratingMean = ratingMean
        inputs.ratingScale = ratingScale
        return try taskEntry.make(config, inputs)
    }

    /// The initial parameter server state: embeddings from the seed, frozen tables from the
    /// data, dense weights from the model then the input layer.
    public func initialParameters() -> ParameterStore {
        let store = ParameterStore()
        for (name, t) in InputTables.initial(nodeTypes: graph.nodeTypes, nodeCounts: graph.nodeCounts,
                                             dimension: config.model.embeddingSize, seed: config.seed,
                                             distribution: modelEntry.tables) {
            var table = t
            for p in pretrained where InputTables.name(graph.nodeTypes[p.nodeType]) == name {
                let d = table.shape[1]
                for (k, row) in p.rows.enumerated() {
                    for c in 0..<d { table.data[Int(row) * d + c] = p.values[k * d + c] }
                }
            }
            store.addTable(name, table)
        }
        for (spec, values) in zip(tables.filter { $0.kind == .frozen }, featureValues) {
            store.addTable(spec.name, Tensor(shape: [spec.rows, spec.dimension], data: values), kind: .frozen)
        }
        for p in makeModel().parameters.dense + makeInputLayer().parameters.dense { store.addDense(p.name, p.value) }
        return store
    }
}

/// A configuration the partitioned engine cannot run.
public struct PlanError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
