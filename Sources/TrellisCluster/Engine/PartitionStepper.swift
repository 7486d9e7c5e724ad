import TrellisCore
import TrellisGraph
import TrellisModels
import TrellisTensor

/// The worker's side of a step, for one partition:
///
///     task: batch (seed, partition, epoch, step) -> seeds per node type
///       -> k-hop sample (remote owners asked) -> pull layer-0 rows of every table + dense weights
///       -> input layer (features projected) -> model: forward -> task: loss -> backward -> Contribution
///
/// A whole-graph model (LightGCN) skips the sampling: every step's subgraph is the whole
/// graph, built once, every node is a seed, and the loss reads its examples' rows by id.
///
/// The same object runs inside `trellis worker join` and inside the one-process engine.
public final class PartitionStepper {
    public let model: SampledRecommender
    /// Tables -> each node type's layer-0 rows.
    public let input: InputLayer
    public let task: TrainingTask
    public let subgraphs: SubgraphSampler
    public let neighbours: NeighbourSource
    public let seed: UInt64
    /// Every step's subgraph for a whole-graph model; nil where steps sample.
    public let whole: SampledSubgraph?
    let tableDimensions: [Int]
    /// Seconds spent sampling, waiting for pulls, and computing, since the last `takeTimings`.
    public private(set) var timings = StepTimings()
    /// Seeds and sampled edges since the last `takeTimings`.
    public private(set) var sampledSeeds = 0, sampledEdges = 0

    public init(model: SampledRecommender, input: InputLayer, task: TrainingTask, subgraphs: SubgraphSampler, neighbours: NeighbourSource,
                seed: UInt64, tableDimensions: [Int], whole: SampledSubgraph? = nil) {
        self.model = model
        self.input = input
        self.whole = whole
        self.task = task
        self.subgraphs = subgraphs
        self.neighbours = neighbours
        self.seed = seed
        self.tableDimensions = tableDimensions
    }

    /// Every dense weight, in the parameter server's order: the model's, then the input layer's.
    public var denseParameters: [Variable] { model.parameters.dense + input.parameters.dense }

    /// Partitions this stepper can compute.
    public var partitions: [Int] { task.partitions }

    /// Draws `partition`'s batch for `step` and samples its neighbourhood: everything of a step
    /// that does not depend on the parameters, so it can run ahead on another thread (see
    /// `BatchPrefetcher`). Only one thread may call it at a time.
    public func prepare(partition: Int, step: StepID) throws -> PreparedBatch {
        let start = ResourceUsage.now()
        let batch = try task.batch(partition: partition, step: step)
        var prepared = PreparedBatch(partition: partition, step: step, batch: batch)
        guard batch.count > 0 else { return prepared }
        if let whole {
            // Every node's output and row: the examples read theirs by global id.
            prepared.batch = batch.overWholeGraph(nodeCounts: whole.nodes[0].map(\.count))
            prepared.subgraph = whole
            prepared.seconds = ResourceUsage.now() - start
            return prepared
        }
        prepared.subgraph = try subgraphs.sample(seeds: batch.seeds, source: neighbours,
                                                 seed: seed, epoch: step.epoch, step: step.step, excluding: batch.excludedEdges)
        prepared.seconds = ResourceUsage.now() - start
        return prepared
    }

    /// Computes `partition`'s contribution to `step`. `pull` fetches the rows of each table
    /// (ids per table) and every dense weight, as of the step's parameter version.
    public func compute(partition: Int, step: StepID,
                        pull: (_ rows: [[Int32]]) throws -> (rows: [Tensor], dense: [Tensor])) throws -> Contribution {
        let start = ResourceUsage.now()
        let prepared = try prepare(partition: partition, step: step)
        addSampleWait(ResourceUsage.now() - start)
        return try compute(prepared, pull: pull)
    }

    /// Finishes a prepared step: pull, forward, backward. Sampling time is not counted here;
    /// the caller adds the time it waited for `prepared` to `timings.sample`.
    public func compute(_ prepared: PreparedBatch,
                        pull: (_ rows: [[Int32]]) throws -> (rows: [Tensor], dense: [Tensor])) throws -> Contribution {
        let (partition, step, batch) = (prepared.partition, prepared.step, prepared.batch)
        let denseParameters = denseParameters
        guard batch.count > 0 else {
            return .empty(step: step, partition: partition, tables: tableDimensions, denseCount: denseParameters.count)
        }
        var clock = ResourceUsage.now()
        func lap(_ field: WritableKeyPath<StepTimings, Double>) {
            let now = ResourceUsage.now()
            timings[keyPath: field] += now - clock
            clock = now
        }
        let g = prepared.subgraph
        timings.sampleWork += prepared.seconds
        sampledSeeds += batch.seeds.reduce(0) { $0 + $1.count }
        sampledEdges += g.edgeCount
        let total = task.globalCount(step: step.step)

        let ids = input.tableIDs(g.nodes[0])
        let pulled = try pull(ids)
        lap(\.pull)

        for (p, value) in zip(denseParameters, pulled.dense) {
            p.value = value
            p.zeroGrad()
        }
        // (ids[k].count, width_k) per table; only the embeddings (the first node-type count) learn.
        let tables = pulled.rows.enumerated().map { k, rows in Variable(rows, requiresGrad: k < input.nodeTypeCount) }
        let b = batch.count
        let share = Float(b) / Float(total)
        let lossValue: Float = {
            let loss = task.loss(outputs: model.forward(g, inputs: input(tables)), inputs: Array(tables.prefix(input.nodeTypeCount)),
                                 batch: batch, share: share, model: model)
            loss.backward(releasing: true)
            return loss.value.scalar
        }()
        let rows = zip(tables, ids).enumerated().map { k, pair -> RowGradient in
            let (table, ids) = pair
            guard let grad = table.grad else { return RowGradient(dimension: tableDimensions[k]) }
            return RowGradient(dimension: tableDimensions[k], rowIDs: ids, values: grad.data).coalesced()
        }
        let dense = denseParameters.map(\.grad)
        lap(\.compute)
        return Contribution(step: step, partition: partition, rows: rows, dense: dense, loss: lossValue, triples: b, share: share)
    }

    /// Adds seconds spent waiting for a prepared batch (the part of sampling not hidden).
    public func addSampleWait(_ seconds: Double) { timings.sample += seconds }

    /// Reads and clears the timings.
    public func takeTimings() -> StepTimings {
        defer { timings = StepTimings() }
        return timings
    }
}

/// A step's inputs that do not depend on the parameters: the task's batch and the sampled
/// neighbourhood of its seeds.
public struct PreparedBatch {
    public var partition: Int
    public var step: StepID
    public var batch: any TaskBatch
    public var subgraph = SampledSubgraph(nodes: [], edges: [])
    /// Seconds `prepare` took.
    public var seconds = 0.0

    public init(partition: Int, step: StepID, batch: any TaskBatch) {
        self.partition = partition
        self.step = step
        self.batch = batch
    }
}

/// Where a worker's time goes.
public struct StepTimings: Sendable, Equatable {
    /// `sample`: time the step waited for its batch; with prefetching most sampling is hidden.
    public var sample = 0.0, pull = 0.0, compute = 0.0, push = 0.0
    /// Time the sampler worked, wherever it ran (the prefetch thread or inline).
    public var sampleWork = 0.0
    public init() {}
    public static func + (a: StepTimings, b: StepTimings) -> StepTimings {
        var c = a
        c.sample += b.sample; c.pull += b.pull; c.compute += b.compute; c.push += b.push
        c.sampleWork += b.sampleWork
        return c
    }
}
