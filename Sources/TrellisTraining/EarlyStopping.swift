/// Early stopping on a validation metric: remembers the best score and epoch and says when
/// `patience` evaluations in a row brought no improvement. A value, so it can be checkpointed.
public struct EarlyStopping: Sendable, Equatable {
    public let metric: String
    public let patience: Int
    public private(set) var best = -Double.infinity
    public private(set) var bestEpoch = 0
    public private(set) var sinceBest = 0

    public init(metric: String, patience: Int) {
        self.metric = metric
        self.patience = patience
    }

    /// Records an evaluation; returns whether it improved on the best and whether to stop.
    public mutating func record(epoch: Int, metrics: [String: Double]) -> (improved: Bool, stop: Bool) {
        let score = metrics[metric] ?? 0
        if score > best {
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
