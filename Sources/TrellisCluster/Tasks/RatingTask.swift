import TrellisEval
import TrellisGraph
import TrellisModels
import TrellisTensor
import TrellisTraining

/// Rating regression on the user-item graph: each rated training edge (user, item, r) of a
/// partition is one example; the model scores the pair and the task adds the training mean.
///
///     batch   a slice of the partition's edges in a seeded per-epoch order (RatingBatchSampler)
///     seeds   the distinct users and items of the edges
///     r̂       μ + model.score(h_u, h_i)              μ: mean training rating
///     loss    Σ_batch (r̂ − r)² / B  + reg/2 · Σ ‖layer-0 rows of u, i‖² / B, times share
///     eval    error sums of r̂ clipped to the rating scale on a partition's valid or test edges
public final class RatingTask: TrainingTask {
    /// Weight of the batch L2 term on the seeds' layer-0 rows (`model.reg_weight`).
    public let regularization: Float
    public let ratingMean: Float
    public let ratingScale: ClosedRange<Float>?
    let samplers: [Int: RatingBatchSampler]
    let exampleCounts: [Int]
    let stepsPerEpoch: Int
    /// Pairs scored at once in evaluation.
    static let evaluationChunk = 8192

    /// Throws when `inputs` holds links of a partition without their ratings.
    public init(config: TrainingConfig, inputs: TaskInputs) throws {
        regularization = config.model.regWeight
        ratingMean = inputs.ratingMean
        ratingScale = inputs.ratingScale
        exampleCounts = inputs.exampleCounts
        stepsPerEpoch = inputs.stepsPerEpoch
        var samplers: [Int: RatingBatchSampler] = [:]
        for (p, l) in inputs.links {
            guard let ratings = inputs.ratings[p], ratings.count == l.users.count else {
                throw PlanError("task.kind rating: partition \(p) has \(l.users.count) training links but "
                                + "\(inputs.ratings[p]?.count ?? 0) ratings (a cluster worker is not sent ratings yet)")
            }
            samplers[p] = RatingBatchSampler(partition: p, users: l.users, items: l.items, ratings: ratings,
                                             stepsPerEpoch: stepsPerEpoch, seed: config.seed,
                                             linksPerUser: config.training.linksPerUser)
        }
        self.samplers = samplers
    }

    public var partitions: [Int] { samplers.keys.sorted() }

    public func batch(partition: Int, step: StepID) throws -> any TaskBatch {
        guard let sampler = samplers[partition] else { throw PlanError("partition \(partition) is not held by this stepper") }
        return sampler.batch(epoch: step.epoch, step: step.step)
    }

    public func globalCount(step: Int) -> Int {
        exampleCounts.reduce(0) { $0 + LinkBatchSampler.count(step: step, links: $1, stepsPerEpoch: stepsPerEpoch, negatives: 1) }
    }

    public func loss(outputs: [Variable], inputs: [Variable], batch: any TaskBatch, share: Float,
                     model: SampledRecommender) -> Variable {
        guard let batch = batch as? RatingBatch else { preconditionFailure("a \(type(of: batch)) given to the rating task") }
        let b = batch.count
        let predicted = model.score(users: outputs[0].gather(rows: batch.users.positions),   // (B)
                                    items: outputs[1].gather(rows: batch.items.positions)) + ratingMean
        let error = predicted - Variable(Tensor(shape: [b], data: batch.ratings))
        var loss = error.square().sum() * (1 / Float(b))
        if regularization > 0 {
            let l2 = inputs[0] === inputs[1]
                ? inputs[0].squaredNormSum(rows: batch.users.positions + batch.items.positions)
                : inputs[0].squaredNormSum(rows: batch.users.positions) + inputs[1].squaredNormSum(rows: batch.items.positions)
            loss = loss + l2 * (0.5 * regularization / Float(b))
        }
        return share == 1 ? loss : loss * share
    }

    public func emptySums(itemCount: Int) -> EvaluationSums { .rating(RatingSums()) }

    public func evaluationSums(_ part: EvaluationPart, share: EvaluationShare, outputs: FinalOutputs,
                               model: SampledRecommender) throws -> EvaluationSums {
        let held = share.held(part)
        var metrics = RatingMetrics(clip: ratingScale)
        for start in stride(from: 0, to: held.count, by: Self.evaluationChunk) {
            let rows = start..<min(held.count, start + Self.evaluationChunk)
            let users = try outputs.gather(type: GraphTopology.user, ids: Array(held.users[rows]))   // (chunk, d)
            let items = try outputs.gather(type: GraphTopology.item, ids: Array(held.items[rows]))   // (chunk, d)
            let scores = model.score(users: Variable(users), items: Variable(items)).value.data
            metrics.add(predictions: scores.map { $0 + ratingMean }, targets: Array(held.ratings[rows]))
        }
        return .rating(metrics.sums)
    }
}
