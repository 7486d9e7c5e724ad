import TrellisCore
import TrellisData
import TrellisGraph
import TrellisModels
import TrellisTensor
import TrellisTraining

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
    /// Global steps per epoch: ceil(training links / batch size).
    public let stepsPerEpoch: Int
    /// (name, rows, dimension) of each embedding table, in table order (node-type order).
    public let tables: [TableSpec]
    /// The registry's entry of `config.model.kind`: how to build the model and sample for it.
    public let modelEntry: ModelEntry

    public struct TableSpec: Sendable, Equatable {
        public var name: String
        public var rows: Int
        public var dimension: Int
        public init(name: String, rows: Int, dimension: Int) {
            self.name = name
            self.rows = rows
            self.dimension = dimension
        }
    }

    public init(config: TrainingConfig, dataset: PreparedDataset) throws {
        modelEntry = try ModelRegistry.entry(for: config)
        try Self.checkPartitions(config, dataset: dataset)
        self.config = config
        graph = GraphTopology.userItem(dataset.trainItems)
        let method: Partitioner = config.cluster.partitioner == .hash ? .hash : .greedy
        book = method.partition(graph, into: config.cluster.partitions, seed: config.seed)
        report = PartitionReport(method: method.rawValue, book: book, graph: graph)
        var links = [(users: [Int32], items: [Int32])](repeating: ([], []), count: config.cluster.partitions)
        let train = dataset.split.train
        for k in 0..<train.count {
            let p = book.owner(type: GraphTopology.user, node: train.users[k])
            links[p].users.append(train.users[k])
            links[p].items.append(train.items[k])
        }
        self.links = links
        stepsPerEpoch = max(1, (train.count + config.training.batchSize - 1) / config.training.batchSize)
        tables = zip(graph.nodeTypes, graph.nodeCounts).map {
            TableSpec(name: InputTables.name($0), rows: $1, dimension: config.model.embeddingSize)
        }
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

    /// The initial parameter server state: tables from the seed, dense weights from the model.
    public func initialParameters() -> ParameterStore {
        let store = ParameterStore()
        for (name, t) in InputTables.initial(nodeTypes: graph.nodeTypes, nodeCounts: graph.nodeCounts,
                                             dimension: config.model.embeddingSize, seed: config.seed) {
            store.addTable(name, t)
        }
        for p in makeModel().parameters.dense { store.addDense(p.name, p.value) }
        return store
    }
}

/// A configuration the partitioned engine cannot run.
public struct PlanError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
