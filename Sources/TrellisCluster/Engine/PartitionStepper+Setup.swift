import TrellisGraph
import TrellisTraining

extension PartitionStepper {
    /// The stepper of the partitions in `links` (partition -> its users and items), sampling
    /// through `source`, whose shard must hold those partitions' rows. The one-process engine
    /// and a worker both build theirs here, so they compute the same steps. Throws for a
    /// model kind the registry does not run.
    public convenience init(config: TrainingConfig, relations: [GraphTopology.Relation], nodeCounts: [Int],
                            source: ShardedNeighbourSource, links: [Int: (users: [Int32], items: [Int32])],
                            linkCounts: [Int], stepsPerEpoch: Int, tableDimensions: [Int]) throws {
        let entry = try ModelRegistry.entry(for: config)
        let shard = source.shard
        // The item->user relation (0) lists each owned user's training items.
        let task = LinkPredictionTask(config: config, links: links, linkCounts: linkCounts, stepsPerEpoch: stepsPerEpoch,
                                      itemCount: nodeCounts[GraphTopology.item],
                                      knownItems: { shard.row(relation: 0, node: $0) ?? [] })
        self.init(model: entry.build(config, relations, nodeCounts.count), task: task,
                  subgraphs: SubgraphSampler(relations: relations, nodeTypeCount: nodeCounts.count,
                                             fanouts: relations.map { entry.fanouts(config.model, $0) }),
                  neighbours: source, seed: config.seed, tableDimensions: tableDimensions)
    }
}
