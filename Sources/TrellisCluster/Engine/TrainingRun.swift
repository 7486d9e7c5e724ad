import Foundation
import TrellisCore
import TrellisEval
import TrellisGraph
import TrellisModels
import TrellisTensor
import TrellisTraining

/// The coordinator's view of a run, whoever computes the steps: the parameter server, where
/// the run stands (epoch, step), per-epoch evaluation with early stopping, the best weights,
/// and the final test. The one-process engine and `trellis coordinator start` both drive one.
public final class TrainingRun {
    public let plan: TrainingPlan
    /// The dataset, where this process loaded it (nil for a coordinator reading a
    /// partitioned folder, whose evaluation runs on the workers).
    public let dataset: PreparedDataset?
    public let server: ParameterServer
    /// A model instance for evaluation (dense weights copied in from the server).
    let evaluationModel: SampledRecommender
    /// The tables -> layer-0 rows step, for evaluation (its weights copied in likewise).
    let evaluationInput: InputLayer
    /// What evaluation computes from the model's outputs.
    let task: TrainingTask
    public private(set) var stopping: EarlyStopping
    public private(set) var records: [EpochRecord] = []
    public private(set) var bestWeights: [String: Tensor]
    /// The epoch being trained (from 1) and its next step.
    public private(set) var position: StepID
    public private(set) var trainingSeconds: [Double] = []
    /// True once early stopping fired or the last epoch was evaluated.
    public private(set) var finished = false
    /// Called with every evaluation record.
    public var onEvaluation: ((EpochRecord) -> Void)?
    /// The run id (new for a fresh run, the checkpoint's after a resume) and the fingerprint
    /// of the config keys that define the run; written into every checkpoint.
    public internal(set) var identity: RunIdentity

    public init(plan: TrainingPlan, dataset: PreparedDataset?) throws {
        ComputeThreads.configure(plan.config)
        self.plan = plan
        self.dataset = dataset
        let store = plan.initialParameters()
        server = ParameterServer(store: store, partitionCount: plan.config.cluster.partitions,
                                 training: plan.config.training, cluster: plan.config.cluster,
                                 stepsPerEpoch: plan.stepsPerEpoch)
        evaluationModel = plan.makeModel()
        evaluationInput = plan.makeInputLayer()
        task = try plan.makeEvaluationTask()
        stopping = EarlyStopping(metric: plan.config.evaluation.validMetric, patience: plan.config.evaluation.stoppingStep)
        position = StepID(epoch: 1, step: 0)
        identity = RunIdentity(config: plan.config)
        bestWeights = [:]
        bestWeights = snapshot()
    }

    public var config: TrainingConfig { plan.config }
    public var stepsPerEpoch: Int { plan.stepsPerEpoch }
    /// The global index of `position`.
    public var globalStep: Int { position.global(stepsPerEpoch: plan.stepsPerEpoch) }

    /// Marks the current step as done by every partition (the server has applied it).
    public func advanceStep() {
        position.step += 1
    }

    /// Whether every step of the current epoch has been applied.
    public var epochComplete: Bool { position.step >= plan.stepsPerEpoch }

    /// Whether the epoch ending now is evaluated on validation (every `eval_step` epochs and
    /// the last, when there is a validation part).
    public var validationDue: Bool {
        plan.hasValidation && (position.epoch % config.evaluation.evalStep == 0 || position.epoch == config.training.epochs)
    }

    /// Ends the current epoch: evaluates here when due, updates early stopping, moves to the
    /// next epoch. Returns the record written (if any).
    @discardableResult
    public func finishEpoch(seconds: Double) -> EpochRecord {
        guard validationDue else { return finishEpoch(seconds: seconds, validation: nil) }
        let start = ResourceUsage.now()
        let metrics = evaluate(.valid)
        return finishEpoch(seconds: seconds, validation: (metrics, ResourceUsage.now() - start))
    }

    /// Ends the current epoch with its validation metrics and the seconds they took (computed
    /// here or by the workers; nil when `validationDue` is false).
    @discardableResult
    public func finishEpoch(seconds: Double, validation: (metrics: [String: Double], seconds: Double)?) -> EpochRecord {
        precondition(epochComplete, "epoch \(position.epoch) has steps left")
        let epoch = position.epoch
        let loss = server.takeLoss() / Double(plan.stepsPerEpoch)
        trainingSeconds.append(seconds)
        let last = epoch == config.training.epochs
        let rate = Double(server.schedule.rate(step: globalStep - 1, reductions: reductions))
        let record: EpochRecord
        if let validation {
            record = EpochRecord(epoch: epoch, split: "valid", loss: loss, trainSeconds: seconds,
                                 evalSeconds: validation.seconds, metrics: validation.metrics, learningRate: rate)
            let (improved, stop) = stopping.record(epoch: epoch, metrics: validation.metrics)
            if improved { bestWeights = snapshot() }
            if stop { finished = true }
        } else {
            record = EpochRecord(epoch: epoch, split: "train", loss: loss, trainSeconds: seconds, evalSeconds: 0, metrics: [:], learningRate: rate)
            // Without a validation part every epoch is the best so far.
            if !plan.hasValidation {
                stopping.keep(epoch: epoch)
                bestWeights = snapshot()
            }
        }
        records.append(record)
        server.reductions = reductions
        onEvaluation?(record)
        if last { finished = true }
        position = StepID(epoch: epoch + 1, step: 0)
        return record
    }

    // MARK: Evaluation

    /// The layer the final outputs are at, and whether they come layer by layer from the
    /// partitions (else from one forward over the whole graph, on a process that holds it).
    var finalLayer: Int { evaluationModel.layerCount }
    var isLayerwise: Bool { finalLayer == 0 || evaluationModel is LayerwiseRecommender }

    /// Every partition's links and held-out links (a plan built from the dataset).
    var shares: [EvaluationShare] { plan.whole?.shares ?? [] }
    /// Evaluation partition by partition over the whole graph, held here.
    lazy var partitionEvaluation = PartitionEvaluation(model: evaluationModel, relations: plan.graph.relations,
                                                       source: plan.graph, book: plan.book)

    /// Every node's final outputs from the server's current weights, at layer
    /// `partitionEvaluation.finalLayer` of the store: the tables for MF; a layer-wise model's
    /// computed partition by partition, one layer at a time in chunks; a whole-graph model's
    /// (LightGCN, sparse products) from one full-graph forward.
    func activations() -> LocalActivations {
        let store = LocalActivations(tables: inputs())
        let evaluation = partitionEvaluation
        guard evaluation.isLayerwise else {
            store.set(layer: evaluation.finalLayer, outputs: fullGraphOutputs())
            return store
        }
        // The plan's graph holds every row and the store every node, so nothing can be missing.
        for l in 0..<evaluation.finalLayer {
            for p in 0..<config.cluster.partitions { try! evaluation.layer(l, partition: p, store: store) }
        }
        return store
    }

    /// Every node's output, per node type ((count_t, d)), from the server's current weights.
    public func outputs() -> [Tensor] {
        let store = activations(), layer = partitionEvaluation.finalLayer
        return plan.schema.nodeTypes.indices.map { try! store.whole(layer: layer, type: $0) }
    }

    /// Every node's output from one forward pass over the whole graph: a whole-graph model's
    /// evaluation, and `bench-eval`'s baseline for the layer-wise one (it holds every layer's
    /// per-edge activations at once).
    public func fullGraphOutputs() -> [Tensor] {
        let full = SubgraphSampler.full(plan.graph, layers: evaluationModel.layerCount)
        return evaluationModel.forward(full, inputs: inputs().map { Variable($0) }).map(\.value)
    }

    /// Every node's layer-0 row per node type ((count_t, d)) from the server's current weights:
    /// its embedding, plus its projected features where it has some. Also puts the server's
    /// dense weights into the evaluation model.
    public func inputs() -> [Tensor] {
        let dense = evaluationModel.parameters.dense + evaluationInput.parameters.dense
        for (p, w) in zip(dense, server.store.dense) { p.value = w.value }
        return evaluationInput(server.store.tables.map { Variable($0.weights) }).map(\.value)
    }

    /// The task's metrics of `part` from the current weights.
    public func evaluate(_ part: EvaluationPart) -> [String: Double] {
        evaluate(part, store: activations())
    }

    /// The task's metrics of `part` from `outputs` (every node's, per type).
    public func evaluate(_ part: EvaluationPart, outputs: [Tensor]) -> [String: Double] {
        let layer = partitionEvaluation.finalLayer
        let store = LocalActivations(tables: layer == 0 ? outputs : inputs())
        if layer > 0 { store.set(layer: layer, outputs: outputs) }
        return evaluate(part, store: store)
    }

    /// Every partition's sums of `part` from the final outputs in `store`, merged in partition order.
    func evaluate(_ part: EvaluationPart, store: ActivationStore) -> [String: Double] {
        // Every row is in the store and every share comes from this dataset: nothing can fail.
        let sums = shares.map { try! partitionEvaluation.sums(part, share: $0, task: task, store: store, model: evaluationModel) }
        return EvaluationSums.merged(sums)
    }

    /// The popularity yardstick of `part` on the next-item task's own protocol (one ranking
    /// per example, sampled candidates where the task draws them); nil for other tasks,
    /// whose yardstick ranks each user's held-out items (`PreparedDataset.popularityBaseline`).
    public func popularity(_ part: EvaluationPart) -> [String: Double]? {
        guard let task = task as? NextItemTask, let dataset else { return nil }
        let scores = PopularityRanker(trainItems: dataset.split.train.items, itemCount: task.itemCount).scores()
        return EvaluationSums.merged(shares.map { task.popularitySums(part, share: $0, scores: scores) })
    }

    /// The empty sums every partition's report must match (cut-offs, catalogue, task).
    var emptySums: EvaluationSums { task.emptySums(itemCount: plan.schema.nodeCounts[GraphTopology.item]) }

    /// Restores the best weights and tests them here, or takes `test`: their metrics as the
    /// workers computed them.
    public func summary(test: [String: Double]? = nil) -> RunSummary {
        restoreWeights(bestWeights)
        let test = test ?? evaluate(.test)
        let valid = records.first { $0.epoch == stopping.bestEpoch && $0.split == "valid" }?.metrics ?? [:]
        return RunSummary(model: evaluationModel.name, dataset: plan.datasetName, epochs: records.last?.epoch ?? 0,
                          bestEpoch: stopping.bestEpoch,
                          secondsPerEpoch: trainingSeconds.reduce(0, +) / Double(max(1, trainingSeconds.count)),
                          medianSecondsPerEpoch: median(trainingSeconds), valid: valid, test: test, records: records)
    }

    /// Learning-rate plateaus in the validation history so far (0 unless the schedule is
    /// plateau): what each step's grant carries to the processes that apply updates.
    public var reductions: Int {
        let scores = records.filter { $0.split == "valid" }.map { $0.metrics[stopping.metric] ?? (stopping.minimising ? .infinity : 0) }
        return server.schedule.reductions(scores: scores, minimising: stopping.minimising)
    }

    /// A copy of every weight on the server.
    public func snapshot() -> [String: Tensor] { server.store.snapshot() }

    /// `name:kind` of every table, as checkpoints record them.
    var tableKinds: String { server.store.tables.map { "\($0.name):\($0.kind)" }.joined(separator: ",") }

    /// FNV-1a 64 of each frozen table's value bits: a checkpoint carries them instead of the
    /// tables, which come from the data. Computed once (the tables never change).
    lazy var frozenDigests: [UInt64] = server.store.tables.filter { $0.kind == .frozen }.map { t in
        t.weights.data.reduce(0xcbf2_9ce4_8422_2325 as UInt64) { hash, v in (hash ^ UInt64(v.bitPattern)) &* 0x0000_0100_0000_01b3 }
    }

    func restoreWeights(_ weights: [String: Tensor]) { server.store.restore(weights) }

    // MARK: Resuming

    /// Puts the run back where a checkpoint left it.
    func restore(position: StepID, stopping: EarlyStopping, records: [EpochRecord], trainingSeconds: [Double],
                 bestWeights: [String: Tensor], finished: Bool) {
        self.position = position
        self.stopping = stopping
        self.records = records
        self.trainingSeconds = trainingSeconds
        self.bestWeights = bestWeights
        // A run that ended at its last epoch goes on when resumed with more epochs; one that
        // stopped early stays stopped.
        self.finished = position.epoch > config.training.epochs || (finished && stopping.sinceBest >= stopping.patience)
        server.reductions = reductions
    }
}

/// Thread settings every process of a run uses, so kernels split work the same way everywhere.
public enum ComputeThreads {
    public static func configure(_ config: TrainingConfig) {
        MemoryTuning.keepFreedBuffers()
        Parallel.threadCount = config.training.threads
        // Busy-waiting OpenBLAS threads would steal the cores of the sparse kernels and of
        // other processes on the machine; the dense products here are small.
        BLAS.setThreadCount(1)
    }
}
