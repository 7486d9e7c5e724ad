import TrellisGraph
import TrellisModels
import TrellisTraining

extension PartitionStepper {
    /// The stepper of the partitions in `links` (partition -> its users and items) of a graph of
    /// `schema`, sampling through `source`, whose shard must hold those partitions' rows. The one-process engine
    /// and a worker both build theirs here, so they compute the same steps. `ratings`,
    /// `ratingMean` and `ratingScale` serve the rating task (see `TaskInputs`). Throws for a
    /// model or task kind the registries do not run, or inputs the task lacks.
    public convenience init(config: TrainingConfig, schema: GraphSchema,
                            source: ShardedNeighbourSource, links: [Int: (users: [Int32], items: [Int32])],
                            exampleCounts: [Int], tableDimensions: [Int],
                            ratings: [Int: [Float]] = [:], ratingMean: Float = 0, ratingScale: ClosedRange<Float>? = nil) throws {
        let entry = try ModelRegistry.entry(for: config)
        let (relations, nodeCounts) = (schema.relations, schema.nodeCounts)
        let shard = source.shard
        var inputs = TaskInputs()
        inputs.links = links
        inputs.ratings = ratings
        inputs.exampleCounts = exampleCounts
        inputs.stepsPerEpoch = TrainingPlan.slices(exampleCounts: exampleCounts, batchSize: config.training.batchSize)
        inputs.itemCount = nodeCounts[GraphTopology.item]
        // The item->user relation (0) lists each owned user's training items.
        inputs.knownItems = { shard.row(relation: 0, node: $0) ?? [] }
        inputs.ratingMean = ratingMean
        inputs.ratingScale = ratingScale
        let task = try TaskRegistry.entry(for: config).make(config, inputs)
        let model = entry.build(config, relations, nodeCounts.count)
        let whole = entry.scope == .wholeGraph
            ? try SubgraphSampler.whole(shard, relations: relations, nodeCounts: nodeCounts, layers: model.layerCount) : nil
        self.init(model: model, input: InputLayer(schema: schema, dimension: config.model.embeddingSize, seed: config.seed), task: task,
                  subgraphs: SubgraphSampler(relations: relations, nodeTypeCount: nodeCounts.count,
                                             fanouts: relations.map { entry.fanouts(config.model, $0) }),
                  neighbours: source, seed: config.seed, tableDimensions: tableDimensions, whole: whole)
    }
}
