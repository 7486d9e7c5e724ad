import TrellisData
import TrellisEval
import TrellisGraph
import TrellisModels
import TrellisTensor
import TrellisTraining

/// Link prediction on the user-item graph, trained with BPR: each training link (user, item)
/// of a partition, with `negatives` items the user has not seen, makes triples; the loss
/// ranks the positive above the negative; evaluation ranks every item for every user.
///
///     batch   LinkBatchSampler's triples of (seed, partition, epoch, step)
///     seeds   the distinct users and items of the triples
///     loss    BPR on the outputs (users, items) + L2 on the seeds' layer-0 rows, times share
///     eval    a partition's users rank every item (their final outputs against every item's,
///             one whole-table read), masking the links seen before (RankingEvaluation)
public final class LinkPredictionTask: TrainingTask {
    /// Weight of the batch L2 term on the seeds' layer-0 rows (`model.reg_weight`).
    public let regularization: Float
    public let negatives: Int
    /// Cut-offs of the ranking metrics (`evaluation.topk`).
    public let ks: [Int]
    let samplers: [Int: LinkBatchSampler]
    let exampleCounts: [Int]
    let stepsPerEpoch: Int

    /// The task of a process that draws the batches of the partitions in `links` (partition
    /// -> its users and their items; none where the process only evaluates). `knownItems(u)`
    /// is user u's sorted training items, for drawing negatives; `exampleCounts` holds every
    /// partition's link count.
    public init(config: TrainingConfig, links: [Int: (users: [Int32], items: [Int32])] = [:], exampleCounts: [Int] = [],
                stepsPerEpoch: Int = 1, itemCount: Int = 0, knownItems: @escaping (Int32) -> ArraySlice<Int32> = { _ in [] }) {
        regularization = config.model.regWeight
        negatives = config.training.negatives
        ks = config.evaluation.topk
        self.exampleCounts = exampleCounts
        self.stepsPerEpoch = stepsPerEpoch
        var samplers: [Int: LinkBatchSampler] = [:]
        for (p, l) in links {
            samplers[p] = LinkBatchSampler(partition: p, users: l.users, items: l.items, itemCount: itemCount,
                                           stepsPerEpoch: stepsPerEpoch, negatives: negatives, seed: config.seed,
                                           linksPerUser: config.training.linksPerUser, knownItems: knownItems)
        }
        self.samplers = samplers
    }

    public var partitions: [Int] { samplers.keys.sorted() }

    public func batch(partition: Int, step: StepID) throws -> any TaskBatch {
        guard let sampler = samplers[partition] else { throw PlanError("partition \(partition) is not held by this stepper") }
        return LinkPredictionBatch(sampler.batch(epoch: step.epoch, step: step.step))
    }

    public func globalCount(step: Int) -> Int {
        exampleCounts.reduce(0) { $0 + LinkBatchSampler.count(step: step, links: $1, stepsPerEpoch: stepsPerEpoch, negatives: negatives) }
    }

    public func loss(outputs: [Variable], inputs: [Variable], batch: any TaskBatch, share: Float,
                     model: SampledRecommender) -> Variable {
        guard let batch = batch as? LinkPredictionBatch else { preconditionFailure("a \(type(of: batch)) given to link prediction") }
        let b = batch.count
        let loss = BPRLoss.of(users: outputs[0], items: outputs[1], egoUsers: inputs[0], egoItems: inputs[1],
                              userRows: batch.users.positions, positiveRows: Array(batch.items.positions[0..<b]),
                              negativeRows: Array(batch.items.positions[b...]), regularization: regularization)
        return share == 1 ? loss : loss * share
    }

    public func emptySums(itemCount: Int) -> EvaluationSums { .ranking(RankingMetrics(ks: ks, itemCount: itemCount)) }

    public func evaluationSums(_ part: EvaluationPart, share: EvaluationShare, outputs: FinalOutputs,
                               model: SampledRecommender) throws -> EvaluationSums {
        let held = share.held(part), seen = share.seen(part)
        let items = try outputs.whole(type: GraphTopology.item), itemCount = items.shape[0]   // (I, d)
        // Rows up to the largest user id here: the partition's users, not the whole graph's.
        let rowCount = Int(max(held.users.max() ?? -1, seen.users.max() ?? -1)) + 1
        func index(_ pairs: RatedPairs) -> CSRMatrix {
            CSRMatrix(rowCount: rowCount, columnCount: itemCount, rows: pairs.users, columns: pairs.items, values: nil, sortRows: true)
                .removingDuplicateColumns()
        }
        let targets = index(held), mask = index(seen)
        let users = (0..<rowCount).filter { targets.rowLength($0) > 0 }.map { Int32($0) }
        var metrics = RankingMetrics(ks: ks, itemCount: itemCount)
        RankingEvaluation.accumulate(into: &metrics, users: users, userRows: try outputs.rows(type: GraphTopology.user, ids: users),
                                     items: items, targets: targets, mask: mask)
        return .ranking(metrics)
    }
}
