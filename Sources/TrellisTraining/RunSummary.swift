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
    /// The rate of the epoch's last step (nil on a test record).
    public let learningRate: Double?

    public init(epoch: Int, split: String, loss: Double, trainSeconds: Double, evalSeconds: Double, metrics: [String: Double],
                learningRate: Double? = nil) {
        self.epoch = epoch; self.split = split; self.loss = loss
        self.trainSeconds = trainSeconds; self.evalSeconds = evalSeconds; self.metrics = metrics
        self.learningRate = learningRate
    }

    /// The record as one line of JSON, keys sorted, every number exact: Swift's shortest
    /// round-trip digits (JSONSerialization here drops the last digit of some doubles, and a
    /// resumed run would carry the changed losses and metrics on).
    public func jsonLine() -> String {
        func quoted(_ s: String) -> String {
            "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        func number(_ x: Double) -> String { x.isFinite ? "\(x)" : "null" }
        var fields = [("epoch", "\(epoch)"), ("split", quoted(split)), ("loss", number(loss)),
                      ("train_seconds", number(trainSeconds)), ("eval_seconds", number(evalSeconds))]
        if let learningRate { fields.append(("learning_rate", number(learningRate))) }
        for (k, v) in metrics { fields.append((k, number(v))) }
        return "{" + fields.sorted { $0.0 < $1.0 }.map { quoted($0.0) + ": " + $0.1 }.joined(separator: ", ") + "}"
    }
}

extension EpochRecord: Decodable {
    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// A record read back from its `jsonLine()` (checkpoints keep them this way). JSONDecoder,
    /// unlike JSONSerialization here, reads every digit back; a missing field or a non-number
    /// metric throws.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        let fixed = ["epoch", "split", "loss", "train_seconds", "eval_seconds", "learning_rate"]
        var metrics: [String: Double] = [:]
        for key in c.allKeys where !fixed.contains(key.stringValue) { metrics[key.stringValue] = try c.decode(Double.self, forKey: key) }
        self.init(epoch: try c.decode(Int.self, forKey: Key(stringValue: "epoch")),
                  split: try c.decode(String.self, forKey: Key(stringValue: "split")),
                  loss: try c.decode(Double.self, forKey: Key(stringValue: "loss")),
                  trainSeconds: try c.decode(Double.self, forKey: Key(stringValue: "train_seconds")),
                  evalSeconds: try c.decode(Double.self, forKey: Key(stringValue: "eval_seconds")), metrics: metrics,
                  learningRate: try c.decodeIfPresent(Double.self, forKey: Key(stringValue: "learning_rate")))
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
