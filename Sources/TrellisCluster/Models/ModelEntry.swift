import TrellisGraph
import TrellisModels
import TrellisTraining

/// How the partitioned engine runs one kind of model: its name (the `model.kind` it answers
/// to), how many neighbours it samples per relation and hop, and how to build it from the
/// config and the graph's schema. Every role builds its model here: the coordinator from
/// the whole graph, a worker from the schema in its welcome.
public struct ModelEntry: Sendable {
    /// The `model.kind` this entry answers to (`bpr`, `sage`).
    public let name: String
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

    public init(name: String,
                fanouts: @escaping @Sendable (ModelSettings, GraphTopology.Relation) -> [Int],
                build: @escaping @Sendable (TrainingConfig, [GraphTopology.Relation], Int) -> SampledRecommender) {
        self.name = name
        self.fanouts = fanouts
        self.build = build
    }
}
