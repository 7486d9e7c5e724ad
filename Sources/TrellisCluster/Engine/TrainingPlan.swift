import TrellisCore
import TrellisEval
import TrellisData
import TrellisGraph
import TrellisModels
import TrellisTensor
import TrellisTraining
import TrellisWire

/// Everything every role derives the same way from the config and the dataset: the schema, its
/// partitioning, each partition's training links, the step count, the tables. Built from the
/// whole dataset (a one-process run, or a coordinator that partitions) or read from a
/// partitioned folder (`trellis data partition`: the coordinator then never holds the graph);
/// workers receive the parts they need.
public struct TrainingPlan: Sendable {
    public let config: TrainingConfig
    /// Node types and their counts, relations, feature tables.
    public let schema: GraphSchema
    public let book: PartitionBook
    public let report: PartitionReport
    /// Where the partitions' data is: the whole graph and every partition's links built here,
    /// or a partitioned folder's files, read a partition at a time when one is assigned.
    public let source: Source
    /// The dataset's name, its training links, and whether it has a validation part (epochs
    /// are validated only then).
    public let datasetName: String
    public let trainCount: Int
    public let hasValidation: Bool
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
    /// node-type order; empty for a type the task never reads), then one frozen feature table
    /// per `schema.features` entry.
    public let tables: [TableSpec]
    /// The frozen tables' rows, in `schema.features` order ((n_t, width), row-major).
    public let featureValues: [[Float]]
    /// Embedding rows that start from a trained matrix (`model.pretrained`), per node type.
    public let pretrained: [PretrainedRows]
    /// The registry's entry of `config.model.kind`: how to build the model and sample for it.
    public let modelEntry: ModelEntry
    /// The registry's entry of `config.task.kind`: how to build the task.
    public let taskEntry: TaskEntry

    public enum Source: Sendable {
        case whole(WholeGraph)
        case folder(PartitionFolder)
    }

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

    /// Plans `config` on the whole `dataset`: builds the graph and partitions it.
    public init(config: TrainingConfig, dataset: PreparedDataset) throws {
        let taskEntry = try TaskRegistry.entry(for: config)
        try Self.checkPartitions(config, dataset: dataset)
        let train = dataset.split.train
        let features = try Self.features(config, dataset: dataset)
        let graph = try Self.graph(config, taskEntry: taskEntry, dataset: dataset).with(features: features.map(\.schema))
        let method = Partitioner(rawValue: config.cluster.partitioner.rawValue)!
        let start = ResourceUsage.now()
        let book = method.partition(graph, into: config.cluster.partitions, seed: config.seed)
        let seconds = ResourceUsage.now() - start
        var report = PartitionReport(method: method.rawValue, book: book, graph: graph)
        report.seconds = seconds
        var links = [(users: [Int32], items: [Int32])](repeating: ([], []), count: config.cluster.partitions)
        var ratings = [[Float]](repeating: [], count: config.cluster.partitions)
        for k in Self.rowOrder(train, byTime: taskEntry.timeOrdered) {
            let p = book.owner(type: GraphTopology.user, node: train.users[k])
            links[p].users.append(train.users[k])
            links[p].items.append(train.items[k])
            ratings[p].append(train.ratings[k])
        }
        let whole = WholeGraph(graph: graph, links: links, ratings: ratings,
                               shares: Self.evaluationShares(dataset, links: links, ratings: ratings, book: book, byTime: taskEntry.timeOrdered))
        try self.init(
            config: config, schema: graph.schema, book: book, report: report, source: .whole(whole),
            datasetName: dataset.name, trainCount: train.count, hasValidation: dataset.validItems.nnz > 0,
            ratingMean: Float(train.ratings.reduce(0.0) { $0 + Double($1) } / Double(max(1, train.count))),
            ratingScale: config.data.ratingScale.map { Float($0[0])...Float($0[1]) }
                ?? train.ratings.min().flatMap { low in train.ratings.max().map { low...$0 } },
            exampleCounts: links.map { taskEntry.examples(config, $0.users) },
            featureValues: features.map(\.values), featureEncodings: features.map(\.encoding),
            pretrained: try Self.pretrained(config, dataset: dataset))
    }

    /// Plans `config` from the partitioned folder `directory` (`trellis data partition` with
    /// the same config): the schema, book and counts only; the partitions stay on disk.
    public init(config: TrainingConfig, partitioned directory: String) throws {
        _ = try TaskRegistry.entry(for: config)
        let contents = try PartitionFolder.open(directory, config: config)
        let m = contents.folder.manifest
        let encodings = try m.schema.features.map { f -> ValueEncoding in
            guard let source = config.data.features[m.schema.nodeTypes[f.nodeType].name] else {
                throw ConfigError(file: "<config>", key: "data.features", message: "the partitioned folder has \(f.name); the config does not")
            }
            return ValueEncoding(source.dtype)
        }
        try self.init(
            config: config, schema: m.schema, book: contents.book, report: m.report, source: .folder(contents.folder),
            datasetName: m.dataset, trainCount: m.train, hasValidation: m.hasValidation,
            ratingMean: m.ratingMean, ratingScale: m.ratingScale.map { $0[0]...$0[1] }, exampleCounts: m.exampleCounts,
            featureValues: contents.featureValues, featureEncodings: encodings, pretrained: contents.pretrained)
        // Such a model's evaluation is one forward over the whole graph, on the coordinator.
        guard modelEntry.scope != .wholeGraph else {
            throw PlanError("model.kind \(config.model.kind) propagates over the whole graph, which a partitioned folder's "
                            + "coordinator does not hold: start the coordinator without --partitioned")
        }
    }

    /// The parts either source gives, and what follows from them and the config.
    private init(config: TrainingConfig, schema: GraphSchema, book: PartitionBook, report: PartitionReport, source: Source,
                 datasetName: String, trainCount: Int, hasValidation: Bool, ratingMean: Float, ratingScale: ClosedRange<Float>?,
                 exampleCounts: [Int], featureValues: [[Float]], featureEncodings: [ValueEncoding], pretrained: [PretrainedRows]) throws {
        modelEntry = try ModelRegistry.entry(for: config)
        taskEntry = try TaskRegistry.entry(for: config)
        self.config = config
        self.schema = schema
        self.book = book
        self.report = report
        self.source = source
        self.datasetName = datasetName
        self.trainCount = trainCount
        self.hasValidation = hasValidation
        self.ratingMean = ratingMean
        self.ratingScale = ratingScale
        self.exampleCounts = exampleCounts
        self.featureValues = featureValues
        self.pretrained = pretrained
        let relations = schema.relations.map(\.name)
        for name in config.model.relationFanouts.keys.sorted() where !relations.contains(name) {
            throw ConfigError(file: "<config>", key: "model.relation_fanouts.\(name)",
                              message: "unknown relation; the graph has \(relations)")
        }
        let slices = Self.slices(exampleCounts: exampleCounts, batchSize: config.training.batchSize)
        stepsPerEpoch = config.training.stepsPerEpoch > 0 ? min(config.training.stepsPerEpoch, slices) : slices
        if let problem = taskEntry.accepts(modelEntry.build(config, schema.relations, schema.nodeTypes.count)) {
            throw ConfigError(file: "<config>", key: "model.kind", message: problem)
        }
        let counts = schema.nodeCounts
        let unread = taskEntry.unreadTypes
        tables = schema.nodeTypes.indices.map { t in
            TableSpec(name: InputTables.name(schema.nodeTypes[t].name), rows: unread.contains(t) ? 0 : counts[t],
                      dimension: config.model.embeddingSize)
        } + zip(schema.features, featureEncodings).map {
            TableSpec(name: $0.name, rows: counts[$0.nodeType], dimension: $0.width, kind: .frozen, encoding: $1)
        }
    }

    /// The whole graph and every partition's links, for a plan built from the dataset.
    public var whole: WholeGraph? {
        if case .whole(let w) = source { return w }
        return nil
    }

    /// The whole graph. Only a plan built from the dataset has it (`trellis train`, the
    /// benches, a coordinator without a partitioned folder), and only their code reads it.
    public var graph: GraphTopology {
        guard let whole else { preconditionFailure("a plan read from a partitioned folder holds no graph") }
        return whole.graph
    }

    /// What the worker owning `partitions` is sent: the adjacency it holds, its links, and its
    /// users' held-out links; read from the folder's files for a partitioned plan.
    public func assignment(session: UInt64, partitions: [Int]) throws -> Assignment {
        let held = heldPartitions(partitions)
        switch source {
        case .whole(let w): return w.assignment(session: session, owned: partitions, held: held, plan: self)
        case .folder(let f): return try f.assignment(session: session, partitions: partitions, book: book)
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
    public var fanouts: [[Int]] { schema.relations.map { modelEntry.fanouts(config.model, $0) } }

    /// The model's dense part, initialised from the seed.
    public func makeModel() -> SampledRecommender {
        modelEntry.build(config, schema.relations, schema.nodeTypes.count)
    }

    /// The same from the graph's schema alone (what a worker knows); throws for a model kind
    /// the registry does not run.
    public static func makeModel(_ config: TrainingConfig, relations: [GraphTopology.Relation], nodeTypeCount: Int) throws -> SampledRecommender {
        try ModelRegistry.entry(for: config).build(config, relations, nodeTypeCount)
    }

    /// What turns the pulled tables into each node type's layer-0 rows (features projected).
    public func makeInputLayer() -> InputLayer {
        InputLayer(schema: schema, dimension: config.model.embeddingSize, seed: config.seed)
    }

    /// The task of a process that only evaluates (the coordinator, or a one-process run's
    /// `TrainingRun`): no links, the whole training set's rating facts.
    public func makeEvaluationTask() throws -> TrainingTask {
        var inputs = TaskInputs()
        inputs.exampleCounts = exampleCounts
        inputs.stepsPerEpoch = Self.slices(exampleCounts: exampleCounts, batchSize: config.training.batchSize)
        inputs.itemCount = schema.nodeCounts[GraphTopology.item]
        inputs.ratingMean = ratingMean
        inputs.ratingScale = ratingScale
        return try taskEntry.make(config, inputs)
    }

    /// The initial parameter server state: embeddings from the seed, frozen tables from the
    /// data, dense weights from the model then the input layer.
    public func initialParameters() -> ParameterStore {
        let store = ParameterStore()
        for (name, t) in InputTables.initial(nodeTypes: schema.nodeTypes.map(\.name), nodeCounts: schema.nodeCounts,
                                             dimension: config.model.embeddingSize, seed: config.seed,
                                             distribution: modelEntry.tables, empty: taskEntry.unreadTypes) {
            var table = t
            for p in pretrained where InputTables.name(schema.nodeTypes[p.nodeType].name) == name {
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

/// A plan's whole graph, every partition's training links (and their ratings), and every
/// partition's share of the held-out links.
public struct WholeGraph: Sendable {
    public let graph: GraphTopology
    /// Per partition: users owned by the partition and their items, in training order.
    public let links: [(users: [Int32], items: [Int32])]
    /// The ratings of each partition's links, in `links` order (the rating task's targets).
    public let ratings: [[Float]]
    /// Per partition: its users' training, validation and test links.
    public let shares: [EvaluationShare]

    /// The assignment of a worker owning `owned` and holding the adjacency of `held`.
    func assignment(session: UInt64, owned: [Int], held: [Int], plan: TrainingPlan) -> Assignment {
        let shard = GraphShard(graph: graph, book: plan.book, partitions: held)
        return Assignment(
            session: session, partitions: owned, targets: shard.targets, offsets: shard.offsets, sources: shard.sources,
            values: shard.values, linkUsers: owned.map { links[$0].users }, linkItems: owned.map { links[$0].items },
            linkRatings: plan.taskEntry.usesRatings ? owned.map { ratings[$0] } : [],
            validLinks: owned.map { shares[$0].valid }, testLinks: owned.map { shares[$0].test })
    }
}
