import Foundation

/// One evaluation during training: a line of `metrics.jsonl`.
public struct EpochRecord: Sendable, Equatable {
    public let epoch: Int
    /// `valid` or `test`.
    public let split: String
    /// Mean training loss of the epoch.
    public let loss: Double
    public let trainSeconds: Double
    public let evalSeconds: Double
    /// `ndcg@10`, `recall@10`, … and `users` (how many users were ranked).
    public let metrics: [String: Double]

    public init(epoch: Int, split: String, loss: Double, trainSeconds: Double, evalSeconds: Double, metrics: [String: Double]) {
        self.epoch = epoch; self.split = split; self.loss = loss
        self.trainSeconds = trainSeconds; self.evalSeconds = evalSeconds; self.metrics = metrics
    }

    /// A record read back from `jsonObject()` (checkpoints keep them this way).
    public init?(jsonObject o: [String: Any]) {
        guard let epoch = o["epoch"] as? Int, let split = o["split"] as? String, let loss = o["loss"] as? Double,
              let train = o["train_seconds"] as? Double, let eval = o["eval_seconds"] as? Double else { return nil }
        var metrics: [String: Double] = [:]
        for (k, v) in o where !["epoch", "split", "loss", "train_seconds", "eval_seconds"].contains(k) {
            if let d = v as? Double { metrics[k] = d }
        }
        self.init(epoch: epoch, split: split, loss: loss, trainSeconds: train, evalSeconds: eval, metrics: metrics)
    }

    public func jsonObject() -> [String: Any] {
        var o: [String: Any] = ["epoch": epoch, "split": split, "loss": loss,
                                "train_seconds": trainSeconds, "eval_seconds": evalSeconds]
        for (k, v) in metrics { o[k] = v }
        return o
    }
}

/// What a run produced: `results.json`.
public struct RunSummary: Sendable, Equatable {
    public let model: String
    public let dataset: String
    /// Epochs trained (early stopping may end before the configured count).
    public let epochs: Int
    /// The epoch whose weights were kept.
    public let bestEpoch: Int
    /// Mean wall-clock seconds of one training epoch (no evaluation).
    public let secondsPerEpoch: Double
    public let medianSecondsPerEpoch: Double
    public let valid: [String: Double]
    public let test: [String: Double]
    public let records: [EpochRecord]

    public init(model: String, dataset: String, epochs: Int, bestEpoch: Int, secondsPerEpoch: Double,
                medianSecondsPerEpoch: Double, valid: [String: Double], test: [String: Double], records: [EpochRecord]) {
        self.model = model; self.dataset = dataset; self.epochs = epochs; self.bestEpoch = bestEpoch
        self.secondsPerEpoch = secondsPerEpoch; self.medianSecondsPerEpoch = medianSecondsPerEpoch
        self.valid = valid; self.test = test; self.records = records
    }

    public func jsonObject(extra: [String: Any] = [:]) -> [String: Any] {
        var o: [String: Any] = ["model": model, "dataset": dataset, "epochs": epochs, "best_epoch": bestEpoch,
                                "seconds_per_epoch": secondsPerEpoch, "median_seconds_per_epoch": medianSecondsPerEpoch,
                                "valid": valid, "test": test]
        for (k, v) in extra { o[k] = v }
        return o
    }
}
