import Foundation
import Logging
import TrellisCore
import TrellisGraph
import TrellisTensor
import TrellisTraining

/// `trellis train`: every partition's step computed in this process,
/// in partition order, against an in-process parameter server. The same `TrainingRun`,
/// `PartitionStepper` and `ParameterServer` a cluster uses, with function calls for messages.
public final class EmbeddedEngine {
    public let run: TrainingRun
    public let stepper: PartitionStepper
    /// Samples the next partition's batch while this thread computes the current one.
    private lazy var prefetcher: BatchPrefetcher = { [stepper] in
        BatchPrefetcher { try stepper.prepare(partition: $0.partition, step: $0.step) }
    }()
    /// Where checkpoints go (at epoch ends and every `cluster.checkpoint_every` steps), if anywhere.
    public var checkpoints: ClusterCheckpoints?
    public var logger = Logger(label: "trellis.train")
    /// Called after each global step with (epoch, step, steps per epoch, step loss).
    public var onStep: ((Int, Int, Int, Float) -> Void)?

    public init(plan: TrainingPlan, dataset: PreparedDataset) throws {
        guard let whole = plan.whole else { throw PlanError("trellis train needs the dataset, not a partitioned folder") }
        run = try TrainingRun(plan: plan, dataset: dataset)
        let all = Array(0..<plan.config.cluster.partitions)
        let shard = GraphShard(graph: whole.graph, book: plan.book, partitions: all)
        let source = ShardedNeighbourSource(shard: shard, book: plan.book, relations: plan.schema.relations)
        var links: [Int: (users: [Int32], items: [Int32])] = [:], ratings: [Int: [Float]] = [:]
        for p in all { (links[p], ratings[p]) = (whole.links[p], whole.ratings[p]) }
        stepper = try PartitionStepper(config: plan.config, schema: plan.schema,
                                   source: source, links: links, exampleCounts: plan.exampleCounts,
                                   tableDimensions: plan.tables.map(\.dimension),
                                   ratings: ratings, ratingMean: plan.ratingMean, ratingScale: plan.ratingScale)
    }

    /// Plans the run (partitioning included) and builds the engine.
    public convenience init(config: TrainingConfig, dataset: PreparedDataset) throws {
        try self.init(plan: TrainingPlan(config: config, dataset: dataset), dataset: dataset)
    }

    /// Two lines for the run header: the model and the partitioning.
    public func describe() -> String {
        let c = run.config
        let dense = stepper.denseParameters.reduce(0) { $0 + $1.value.count }
        let rows = run.plan.tables.reduce(0) { $0 + $1.rows * $1.dimension }
        let fanouts = stepper.subgraphs.hopCount > 0 ? ", fanouts \(run.plan.fanouts)" : ""
        return "model \(stepper.model.name): \(rows) table + \(dense) dense parameters\(fanouts); optimizer \(c.training.optimizer.rawValue), "
            + "lr \(c.training.learningRate), batch \(c.training.batchSize) x \(c.training.negatives) negatives, seed \(c.seed), "
            + "\(c.cluster.mode.rawValue), \(run.stepsPerEpoch) steps per epoch\n\(run.plan.report)"
            + run.plan.pretrained.map(describe).joined()
    }

    /// A line on a table that starts from a trained matrix.
    func describe(_ p: TrainingPlan.PretrainedRows) -> String {
        let graph = run.plan.graph
        let table = "\(graph.nodeTypes[p.nodeType]).embedding", total = graph.nodeCounts[p.nodeType]
        return "\n\(table): \(p.rows.count) of \(total) rows from \(p.path) (the rest seeded; \(p.unknown) rows of the file name ids the data lacks)"
    }

    /// Trains until early stopping or the last epoch, then tests the best weights.
    public func fit() throws -> RunSummary {
        while !run.finished {
            run.finishEpoch(seconds: try trainEpoch())
            try checkpoints?.save(run, logger: logger)
        }
        stopPrefetching()
        return run.summary()
    }

    /// Ends the prefetch thread (if `cluster.prefetch` started one).
    public func stopPrefetching() {
        if run.config.cluster.prefetch { prefetcher.stop() }
    }

    /// Trains the steps left in the current epoch (checkpointing every
    /// `cluster.checkpoint_every` steps); returns the seconds they took. `run.finishEpoch`
    /// evaluates and moves on.
    public func trainEpoch() throws -> Double {
        let start = ResourceUsage.now()
        while !run.epochComplete {
            let step = run.position
            let contributions = try trainStep()
            onStep?(step.epoch, step.step + 1, run.stepsPerEpoch, contributions.reduce(0) { $0 + $1.loss })
            let every = run.config.cluster.checkpointEvery
            if every > 0, run.globalStep % every == 0, !run.epochComplete { try checkpoints?.save(run, logger: logger) }
        }
        return ResourceUsage.now() - start
    }

    /// Computes and applies the current global step, partition after partition; returns what
    /// each partition contributed.
    @discardableResult
    public func trainStep() throws -> [Contribution] {
        let parameters = LocalParameters(run.server)
        let step = run.position, global = run.globalStep
        var contributions: [Contribution] = []
        let partitions = Array(0..<run.plan.config.cluster.partitions)
        for p in partitions {
            precondition(run.server.canServe(step: global, partition: p), "partition \(p) cannot run step \(global)")
            let c = try stepper.compute(try batch(StepKey(partition: p, step: step), partitions: partitions)) { ids in
                try parameters.pull(partition: p, globalStep: global, ids: ids)
            }
            contributions.append(try parameters.push(c, globalStep: global, grant: .local))
        }
        run.advanceStep()
        return contributions
    }

    /// `key`'s batch: from the prefetch thread (which then starts on the next one), or drawn
    /// here when `cluster.prefetch` is off.
    func batch(_ key: StepKey, partitions: [Int]) throws -> PreparedBatch {
        let start = ResourceUsage.now()
        defer { stepper.addSampleWait(ResourceUsage.now() - start) }
        guard run.config.cluster.prefetch else { return try stepper.prepare(partition: key.partition, step: key.step) }
        let next = key.next(partitions: partitions, stepsPerEpoch: run.stepsPerEpoch, epochs: run.config.training.epochs)
        prefetcher.want([key] + (next.map { [$0] } ?? []))
        return try prefetcher.take(key)
    }
}
