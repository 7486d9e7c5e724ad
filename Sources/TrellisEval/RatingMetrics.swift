/// RMSE and MAE of rating predictions, accumulated as mergeable `RatingSums`.
///
///     rmse = √(Σ (p̂ − r)² / n)      mae = Σ |p̂ − r| / n
///     p̂ = clamp(p, scale)  with a clip scale, else p
///
/// Clipping a prediction to the rating scale (e.g. 1...5) can only lower both errors, since
/// every target lies on the scale; Surprise clips by default. A NaN prediction stays NaN and
/// makes both metrics NaN, so a diverged model cannot look good.
public struct RatingMetrics: Sendable, Equatable {
    /// Predictions are clamped to this before the error is taken; nil leaves them as they are.
    public let clip: ClosedRange<Float>?
    /// What has been added so far.
    public private(set) var sums = RatingSums()

    /// An empty accumulator; `clip` is usually the data's rating scale.
    public init(clip: ClosedRange<Float>? = nil) {
        self.clip = clip
    }

    // MARK: Adding pairs

    /// Adds one (prediction, target) pair.
    @inline(__always)
    public mutating func add(prediction: Float, target: Float) {
        sums.add(error: Double(clipped(prediction)) - Double(target))
    }

    /// Adds `predictions[i]` against `targets[i]` for every i.
    public mutating func add(predictions: [Float], targets: [Float]) {
        precondition(predictions.count == targets.count,
                     "RatingMetrics: \(predictions.count) predictions for \(targets.count) targets")
        for (p, r) in zip(predictions, targets) { add(prediction: p, target: r) }
    }

    /// Folds in another shard's pairs (accumulated with the same clip).
    public mutating func merge(_ other: RatingMetrics) {
        precondition(clip == other.clip, "RatingMetrics: merging accumulators with different clip scales")
        sums.add(other.sums)
    }

    /// Folds in sums received from another process (whose accumulator used the same clip).
    public mutating func merge(_ other: RatingSums) {
        sums.add(other)
    }

    /// `p` clamped to `clip` (NaN stays NaN: both comparisons are false).
    @inline(__always)
    public func clipped(_ p: Float) -> Float {
        guard let clip else { return p }
        return p < clip.lowerBound ? clip.lowerBound : (p > clip.upperBound ? clip.upperBound : p)
    }

    // MARK: Reporting

    /// Pairs added.
    public var count: Int { sums.count }
    /// Root mean squared error (0 with no pairs).
    public var rmse: Double { sums.rmse }
    /// Mean absolute error (0 with no pairs).
    public var mae: Double { sums.mae }

    /// `rmse`, `mae` and `pairs` (the count), for logs and result files.
    public func summary() -> [String: Double] {
        ["rmse": rmse, "mae": mae, "pairs": Double(count)]
    }
}
