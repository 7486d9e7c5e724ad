import TrellisGraph
import TrellisModels
import TrellisTraining

/// How the partitioned engine runs one kind of model: its name (the `model.kind` it answers
/// to), how many neighbours it samples per relation and hop, and how to build it from the
/// config and the graph's schema. Every role builds its model here: the coordinator from
/// the whole graph, a worker from the schema in its welcome.
public struct ModelEntry: Sendable {
    /// What a step's forward pass reads.
    public enum Scope: Sendable {
        /// The sampled k-hop neighbourhood of the batch's seeds (GraphSAGE, GATv2, MF with k = 0).
        case neighbourhood
        /// The whole training graph, every step (LightGCN): each worker holds the whole
        /// adjacency and pulls every table row; the batch only picks the rows the loss reads.
        case wholeGraph
    }

    /// The `model.kind` this entry answers to (`bpr`, `sage`).
    public let name: String
    public let scope: Scope
    /// How the embedding tables are drawn from the run seed.
    public let tables: InputTables.Distribution
    /// What the model needs of its `model:` keys: nil, or the key and what was expected.
    public let check: @Sendable (_ model: ModelSettings) -> (key: String, problem: String)?
    /// Neighbours to sample per hop (hop 1 first; -1 takes all) along `relation`; empty for a
    /// model without message-passing layers.
    public let fanouts: @Sendable (_ model: ModelSettings, _ relation: GraphTopology.Relation) -> [Int]
    /// The model's dense part, initialised from the run seed, for a graph with `relations`
    /// between `nodeTypeCount` node types.
    public let build: @Sendable (_ config: TrainingConfig, _ relations: [GraphTopology.Relation],
                                 _ nodeTypeCount: Int) -> SampledRecommender

    /// `model.fanouts` per hop, or the relation's override in `model.relation_fanouts`: what a
    /// message-passing model samples.
    public static let configuredFanouts: @Sendable (ModelSettings, GraphTopology.Relation) -> [Int] = { m, relation in
        m.relationFanouts[relation.name] ?? m.fanouts
    }

    /// For a message-passing model: one fanout per layer (>= 1, or -1 for all), in
    /// `model.fanouts` and in every `model.relation_fanouts` override.
    public static let checkFanouts: @Sendable (ModelSettings) -> (key: String, problem: String)? = { m in
        func valid(_ list: [Int]) -> Bool { list.count == m.layers && list.allSatisfy { $0 == -1 || $0 >= 1 } }
        guard m.layers >= 1 else { return ("model.layers", "expected at least 1 layer for a message-passing model, got \(m.layers)") }
        guard valid(m.fanouts) else {
            return ("model.fanouts", "expected one fanout (>= 1, or -1 for all) per layer (\(m.layers)), got \(m.fanouts)")
        }
        for (name, list) in m.relationFanouts.sorted(by: { $0.key < $1.key }) where !valid(list) {
            return ("model.relation_fanouts.\(name)", "expected one fanout (>= 1, or -1 for all) per layer (\(m.layers)), got \(list)")
        }
        return nil
    }

    public init(name: String, scope: Scope = .neighbourhood, tables: InputTables.Distribution = .xavierNormal,
                check: @escaping @Sendable (ModelSettings) -> (key: String, problem: String)? = { _ in nil },
                fanouts: @escaping @Sendable (ModelSettings, GraphTopology.Relation) -> [Int],
                build: @escaping @Sendable (TrainingConfig, [GraphTopology.Relation], Int) -> SampledRecommender) {
        self.name = name
        self.scope = scope
        self.tables = tables
        self.check = check
        self.fanouts = fanouts
        self.build = build
    }
}
