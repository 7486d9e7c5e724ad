import Foundation
import TrellisCore
import TrellisGraph
import TrellisModels
import TrellisTensor
import TrellisTraining

/// The coordinator's view of a run, whoever computes the steps: the parameter server, where
/// the run stands (epoch, step), per-epoch evaluation with early stopping, the best weights,
/// and the final test. The one-process engine and `trellis coordinator start` both drive one.
public final class TrainingRun {
    public let plan: TrainingPlan
    public let dataset: PreparedDataset
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

    public init(plan: TrainingPlan, dataset: PreparedDataset) throws {
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

    /// Ends the current epoch: evaluates when due, updates early stopping, moves to the next
    /// epoch. Returns the record written (if any).
    @discardableResult
    public func finishEpoch(seconds: Double) -> EpochRecord {
        precondition(epochComplete, "epoch \(position.epoch) has steps left")
        let epoch = position.epoch
        let loss = server.takeLoss() / Double(plan.stepsPerEpoch)
        trainingSeconds.append(seconds)
        let last = epoch == config.training.epochs
        let record: EpochRecord
        if dataset.validItems.nnz == 0 {
            record = EpochRecord(epoch: epoch, split: "train", loss: loss, trainSeconds: seconds, evalSeconds: 0, metrics: [:])
            stopping.keep(epoch: epoch)
            bestWeights = snapshot()
        } else if epoch % config.evaluation.evalStep == 0 || last {
            let start = ResourceUsage.now()
            let metrics = evaluate(.valid)
            record = EpochRecord(epoch: epoch, split: "valid", loss: loss, trainSeconds: seconds,
                                 evalSeconds: ResourceUsage.now() - start, metrics: metrics)
            let (improved, stop) = stopping.record(epoch: epoch, metrics: metrics)
            if improved { bestWeights = snapshot() }
            if stop { finished = true }
        } else {
            record = EpochRecord(epoch: epoch, split: "train", loss: loss, trainSeconds: seconds, evalSeconds: 0, metrics: [:])
        }
        records.append(record)
        onEvaluation?(record)
        if last { finished = true }
        position = StepID(epoch: epoch + 1, step: 0)
        return record
    }

    // MARK: Evaluation

    /// Every node's output, per node type ((count_t, d)), from the server's current weights:
    /// the tables for MF; a layer-wise model one layer at a time in chunks of targets (see
    /// `LayerwiseInference`); a whole-graph model (LightGCN, sparse products) in one pass.
    public func outputs() -> [Tensor] {
        let tables = inputs()
        guard evaluationModel.layerCount > 0 else { return tables }
        if let model = evaluationModel as? LayerwiseRecommender {
            // The plan's graph holds every row, so nothing can be missing.
            return try! LayerwiseInference(model: model, relations: plan.graph.relations, source: plan.graph).outputs(tables: tables)
        }
        return fullGraphOutputs()
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
        evaluate(part, outputs: outputs())
    }

    /// The task's metrics of `part` from `outputs` (every node's, per type).
    public func evaluate(_ part: EvaluationPart, outputs: [Tensor]) -> [String: Double] {
        task.evaluate(part, outputs: outputs, dataset: dataset, model: evaluationModel)
    }

    /// Restores the best weights and tests them.
    public func summary() -> RunSummary {
        restoreWeights(bestWeights)
        let test = evaluate(.test)
        let valid = records.first { $0.epoch == stopping.bestEpoch && $0.split == "valid" }?.metrics ?? [:]
        return RunSummary(model: evaluationModel.name, dataset: dataset.name, epochs: records.last?.epoch ?? 0,
                          bestEpoch: stopping.bestEpoch,
                          secondsPerEpoch: trainingSeconds.reduce(0, +) / Double(max(1, trainingSeconds.count)),
                          medianSecondsPerEpoch: median(trainingSeconds), valid: valid, test: test, records: records)
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
