import TrellisData
import TrellisEval

// MARK: Rating baselines

extension PreparedDataset {
    /// The global-mean and bias baselines fitted on the training part and scored on `part`,
    /// predictions clipped to `clip` (MovieLens: 1...5; nil for none). The ratings are the
    /// file's, untouched by the split.
    public func ratingBaselines(on part: EvaluationPart = .test, clip: ClosedRange<Float>? = nil,
                                settings: BiasBaseline.Settings = BiasBaseline.Settings()) -> RatingBaselines.Report {
        let held = part == .test ? split.test : split.valid
        return RatingBaselines.evaluate(train: RatedPairs(split.train), test: RatedPairs(held),
                                        userCount: userCount, itemCount: itemCount, clip: clip, settings: settings)
    }
}

extension RatedPairs {
    /// A table's user, item and rating columns.
    init(_ table: InteractionTable) {
        self.init(users: table.users, items: table.items, ratings: table.ratings)
    }
}
