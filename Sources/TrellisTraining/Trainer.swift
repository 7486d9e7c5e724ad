import Foundation
import Logging
import TrellisCore
import TrellisData
import TrellisEval
import TrellisModels
import TrellisTensor

/// The one-process training loop: shuffled BPR mini-batches, validation every `eval_step`
/// epochs, early stopping on the validation metric, and a final test with the best weights.
///
/// Randomness is split into named streams of the run seed (batch order per epoch, negatives
/// per (epoch, step)), so a run is reproducible and a resumed run draws the same numbers.
public final class Trainer {
    public let config: TrainingConfig
    public let dataset: PreparedDataset
    public let model: Recommender
    private let denseOptimizer: DenseOptimizer
    private let rowOptimizer: RowOptimizer
    private let sampler: NegativeSampler
    private var logger: Logger

    /// Called after every batch with (epoch, step, steps in epoch, batch loss).
    public var onStep: ((Int, Int, Int, Float) -> Void)?
    /// Called after every evaluation with its record.
    public var onEvaluation: ((EpochRecord) -> Void)?

    public init(config: TrainingConfig, dataset: PreparedDataset, logger: Logger = Logger(label: "trellis.train")) {
        self.config = config
        self.dataset = dataset
        self.logger = logger
        MemoryTuning.keepFreedBuffers()
        Parallel.threadCount = config.training.threads
        // These models call BLAS only to score items at evaluation. OpenBLAS worker threads
        // busy-wait for a while after each call and would steal the cores that the sparse
        // kernels of the next epoch run on, so BLAS stays single-threaded here.
        BLAS.setThreadCount(1)
        model = Self.makeModel(config, dataset)
        sampler = NegativeSampler(positives: dataset.trainItems)
        (denseOptimizer, rowOptimizer) = OptimizerChoice.make(config.training)
    }

    static func makeModel(_ config: TrainingConfig, _ dataset: PreparedDataset) -> Recommender {
        let m = config.model
        switch m.kind {
        case .bpr:
            return MatrixFactorization(userCount: dataset.userCount, itemCount: dataset.itemCount,
                                       dimension: m.embeddingSize, regularization: m.regWeight, seed: config.seed)
        case .sage, .gatv2:
            preconditionFailure("GraphSAGE and GATv2 train on sampled subgraphs through TrellisCluster's partitioned engine, not Trainer")
        case .lightgcn:
            return LightGCN(interactions: dataset.trainItems, dimension: m.embeddingSize, layerCount: m.layers,
                            regularization: m.regWeight, seed: config.seed)
        }
    }

    // MARK: One epoch

    /// The training batches of `epoch`: interactions in a seeded order, negatives drawn per step.
    public func batches(epoch: Int) -> [TripletBatch] {
        let train = dataset.split.train
        var order = Array(0..<train.count)
        var orderRNG = SeededGenerator(seed: config.seed, stream: [1, UInt64(epoch)])
        orderRNG.shuffle(&order)
        let size = config.training.batchSize
        return stride(from: 0, to: order.count, by: size).enumerated().map { step, start in
            let rows = order[start..<min(start + size, order.count)]
            var rng = SeededGenerator(seed: config.seed, stream: [2, UInt64(epoch), UInt64(step)])
            // Each positive appears once per negative: (u, i, j1), (u, i, j2), …
            let n = config.training.negatives
            let users = rows.flatMap { repeatElement(train.users[$0], count: n) }
            let positives = rows.flatMap { repeatElement(train.items[$0], count: n) }
            return TripletBatch(users: users, positives: positives,
                                negatives: users.map { sampler.sample(for: $0, using: &rng) })
        }
    }

    /// Forward, backward and one optimizer step on `batch`; returns the loss.
    @discardableResult
    public func step(_ batch: TripletBatch) -> Float {
        let params = model.parameters
        params.zeroGrad()
        // The graph is released before the update, so weights are not copied on write.
        let lossValue: Float = {
            let loss = model.loss(batch)
            loss.backward()
            return loss.value.scalar
        }()
        params.prepareGradients(clipNorm: config.training.clipGradNorm)
        denseOptimizer.step(params.dense)
        rowOptimizer.step(params.tables)
        return lossValue
    }

    /// Trains one epoch; returns (mean loss, seconds). A NaN or infinite loss stops it with a
    /// `DivergenceError` naming the step.
    public func trainEpoch(_ epoch: Int) throws -> (loss: Double, seconds: Double) {
        let start = ResourceUsage.now()
        let all = batches(epoch: epoch)
        var total = 0.0
        for (s, batch) in all.enumerated() {
            let l = step(batch)
            try DivergenceError.check(l, epoch: epoch, step: s + 1)
            total += Double(l)
            onStep?(epoch, s + 1, all.count, l)
        }
        return (total / Double(max(1, all.count)), ResourceUsage.now() - start)
    }

    // MARK: Evaluation

    /// Metrics on validation (mask: train) or test (mask: train + valid).
    public func evaluate(_ part: Part) -> [String: Double] {
        let (users, items) = model.rankingEmbeddings()
        return dataset.evaluate(part, users: users, items: items, ks: config.evaluation.topk)
    }

    public enum Part: String, Sendable { case valid, test }

    /// Test metrics of the most-popular-items baseline, for reference.
    public func popularityBaseline() -> [String: Double] {
        Self.popularity(dataset: dataset, ks: config.evaluation.topk)
    }

    /// Test metrics of ranking every user's unseen items by training popularity.
    public static func popularity(dataset: PreparedDataset, ks: [Int]) -> [String: Double] {
        let pop = PopularityRanker(trainItems: dataset.split.train.items, itemCount: dataset.itemCount).scores()
        // Popularity as rank-1 embeddings: every user (1) · item (popularity).
        let users = Tensor(shape: [dataset.userCount, 1], repeating: 1)
        let items = Tensor(shape: [dataset.itemCount, 1], data: pop)
        return dataset.evaluate(.test, users: users, items: items, ks: ks)
    }

    // MARK: The whole run

    /// Trains with early stopping and returns the summary; the model ends with its best weights.
    public func fit() throws -> RunSummary {
        var records: [EpochRecord] = []
        var stopping = EarlyStopping(metric: config.evaluation.validMetric, patience: config.evaluation.stoppingStep)
        var bestWeights = snapshot()
        var trainingSeconds: [Double] = []
        var epochsRun = 0
        // Without validation targets there is nothing to select on: train every epoch and keep
        // the final weights.
        let selecting = dataset.validItems.nnz > 0
        if !selecting { logger.info("no validation interactions: early stopping is off, the last epoch is kept") }
        for epoch in 1...config.training.epochs {
            let (loss, seconds) = try trainEpoch(epoch)
            trainingSeconds.append(seconds)
            epochsRun = epoch
            guard selecting else {
                let record = EpochRecord(epoch: epoch, split: "train", loss: loss, trainSeconds: seconds, evalSeconds: 0, metrics: [:])
                records.append(record)
                onEvaluation?(record)
                stopping.keep(epoch: epoch)
                bestWeights = snapshot()
                continue
            }
            guard epoch % config.evaluation.evalStep == 0 || epoch == config.training.epochs else { continue }
            let evalStart = ResourceUsage.now()
            let metrics = evaluate(.valid)
            let record = EpochRecord(epoch: epoch, split: "valid", loss: loss, trainSeconds: seconds,
                                     evalSeconds: ResourceUsage.now() - evalStart, metrics: metrics)
            records.append(record)
            onEvaluation?(record)
            let (improved, stop) = stopping.record(epoch: epoch, metrics: metrics)
            if improved { bestWeights = snapshot() }
            if stop {
                logger.info("early stop", metadata: ["epoch": "\(epoch)", "best_epoch": "\(stopping.bestEpoch)"])
                break
            }
        }
        restore(bestWeights)
        let test = evaluate(.test)
        let valid = records.first { $0.epoch == stopping.bestEpoch }?.metrics ?? [:]
        return RunSummary(model: model.name, dataset: dataset.name, epochs: epochsRun, bestEpoch: stopping.bestEpoch,
                          secondsPerEpoch: trainingSeconds.reduce(0, +) / Double(max(1, trainingSeconds.count)),
                          medianSecondsPerEpoch: median(trainingSeconds),
                          valid: valid, test: test, records: records)
    }

    /// A copy of every table and dense parameter.
    public func snapshot() -> [String: Tensor] { model.parameters.snapshot() }

    /// Puts back weights from `snapshot()`.
    public func restore(_ weights: [String: Tensor]) { model.parameters.restore(weights) }
}
/// The median of `values` (mean of the middle two for an even count); 0 when empty.
public func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return 0 }
    let s = values.sorted(), n = s.count
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
}
