import TrellisModels
import TrellisTensor
import TrellisTraining

/// What a run trains a model for. The engine samples, pulls, runs the model and pushes; the
/// task decides everything about the examples:
///
///     (seed, partition, epoch, step) -> batch: examples + seeds per node type      worker
///     model outputs for the seeds (+ their layer-0 rows) -> loss, scaled by share   worker
///     final outputs + a partition's held-out links -> metric sums                  per partition
///
/// A worker's instance draws the batches of the partitions it holds; the coordinator's holds
/// none and only evaluates. Sums of the partitions merge in partition order (`EvaluationSums`).
public protocol TrainingTask: AnyObject {
    /// Partitions whose batches this instance draws, ascending.
    var partitions: [Int] { get }

    /// `partition`'s batch for `step`: a function of (seed, partition, epoch, step) alone.
    /// One thread at a time (a partition's sampler keeps the epoch's order).
    func batch(partition: Int, step: StepID) throws -> any TaskBatch

    /// Examples in global step `step` over all partitions (what `share` divides by).
    func globalCount(step: Int) -> Int

    /// The loss of `batch`: `outputs[t]` is (seeds[t].count, d), the model's representation of
    /// the seeds of type t; `inputs[t]` is the embedding rows (features not added) of the sampled
    /// subgraph's layer-0 nodes, whose first seeds[t].count rows are the seeds'. Scaled by `share` (this batch's examples over
    /// the global step's), so the partitions' losses sum to the step's mean. A task that scores
    /// pairs asks `model.score`.
    func loss(outputs: [Variable], inputs: [Variable], batch: any TaskBatch, share: Float,
              model: SampledRecommender) -> Variable

    /// Sums with nothing added, of the shape every partition's must have (`matches`).
    func emptySums(itemCount: Int) -> EvaluationSums

    /// `share`'s metric sums of `part` (one partition's users): final outputs read by row from
    /// `outputs` (`rows(type:ids:)`: (ids.count, d)), pairs scored by `model` where the task
    /// scores pairs.
    func evaluationSums(_ part: EvaluationPart, share: EvaluationShare, outputs: FinalOutputs,
                        model: SampledRecommender) throws -> EvaluationSums
}
