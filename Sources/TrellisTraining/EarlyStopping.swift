/// Early stopping on a validation metric: remembers the best score and epoch and says when
/// `patience` evaluations in a row brought no improvement. A value, so it can be checkpointed.
/// Higher is better, except for the error metrics in `lowerIsBetter` (`rmse`, `mae`).
public struct EarlyStopping: Sendable, Equatable {
    /// Metrics where a smaller value is the improvement.
    public static let lowerIsBetter: Set<String> = ["rmse", "mae"]

    public let metric: String
    public let patience: Int
    /// Whether `metric` improves downwards.
    public let minimising: Bool
    /// The best score so far (-inf, or +inf when minimising, before the first evaluation).
    public private(set) var best: Double
    public private(set) var bestEpoch = 0
    public private(set) var sinceBest = 0

    public init(metric: String, patience: Int) {
        self.metric = metric
        self.patience = patience
        minimising = Self.lowerIsBetter.contains(metric)
        best = minimising ? .infinity : -.infinity
    }

    /// Records an evaluation; returns whether it improved on the best and whether to stop.
    public mutating func record(epoch: Int, metrics: [String: Double]) -> (improved: Bool, stop: Bool) {
        // A missing score counts as the worst; NaN never improves (both comparisons are false).
        let score = metrics[metric] ?? (minimising ? .infinity : 0)
        if minimising ? score < best : score > best {
            best = score; bestEpoch = epoch; sinceBest = 0
            return (true, false)
        }
        sinceBest += 1
        return (false, sinceBest >= patience)
    }

    /// Marks `epoch` as the one kept without an evaluation (no validation data).
    public mutating func keep(epoch: Int) { bestEpoch = epoch }

    /// Puts back a checkpointed state.
    public mutating func restore(best: Double, bestEpoch: Int, sinceBest: Int) {
        self.best = best
        self.bestEpoch = bestEpoch
        self.sinceBest = sinceBest
    }
}
