/// The two reference points a rating model must beat, fitted on a training part and
/// scored on a held-out part:
///
/// - global mean: r̂ = μ for every pair;
/// - bias: r̂ = μ + b_u + b_i (`BiasBaseline`, Surprise's `BaselineOnly`).
///
/// On MovieLens u1 (README, "MovieLens u1") the global mean gives RMSE 1.154.
public enum RatingBaselines {
    /// Held-out errors of both baselines.
    public struct Report: Sendable, Equatable {
        /// μ everywhere.
        public var globalMean: RatingMetrics
        /// μ + b_u + b_i.
        public var bias: RatingMetrics
        /// μ, the mean training rating.
        public var trainMean: Double
    }

    /// Fits both baselines on `train` and scores them on `test`, with predictions clipped to
    /// `clip` (usually the rating scale; nil for none). Ids past `userCount`/`itemCount` (or
    /// without training ratings) get bias 0.
    public static func evaluate(train: RatedPairs, test: RatedPairs, userCount: Int, itemCount: Int,
                                clip: ClosedRange<Float>? = nil,
                                settings: BiasBaseline.Settings = BiasBaseline.Settings()) -> Report {
        let bias = BiasBaseline(fitting: train, userCount: userCount, itemCount: itemCount, settings: settings)
        var meanMetrics = RatingMetrics(clip: clip), biasMetrics = RatingMetrics(clip: clip)
        let mu = Float(bias.mean)
        for k in 0..<test.count {
            meanMetrics.add(prediction: mu, target: test.ratings[k])
            biasMetrics.add(prediction: bias.predict(user: test.users[k], item: test.items[k]), target: test.ratings[k])
        }
        return Report(globalMean: meanMetrics, bias: biasMetrics, trainMean: bias.mean)
    }
}
