import TrellisEval

/// What one partition's evaluation adds up, merged over partitions in partition order and
/// only then divided: ranking sums per cut-off with the users counted (and the items' best
/// ranks, for coverage), or rating error sums with the pairs counted.
public enum EvaluationSums: Sendable {
    case ranking(RankingMetrics)
    case rating(RatingMetrics)

    /// Adds another partition's sums (of the same task).
    public mutating func merge(_ other: EvaluationSums) {
        switch (self, other) {
        case (.ranking(var mine), .ranking(let theirs)):
            mine.merge(theirs)
            self = .ranking(mine)
        case (.rating(var mine), .rating(let theirs)):
            mine.merge(theirs)
            self = .rating(mine)
        default:
            preconditionFailure("EvaluationSums: merging ranking and rating sums")
        }
    }

    /// The metrics: averages over the users (ranking, with `users`) or pairs (rating, with `pairs`).
    public func summary() -> [String: Double] {
        switch self {
        case .ranking(let m):
            var summary = m.summary()
            summary["users"] = Double(m.userCount)
            return summary
        case .rating(let m):
            return m.summary()
        }
    }

    /// `sums` of every partition merged in partition order, as metrics.
    public static func merged(_ sums: [EvaluationSums]) -> [String: Double] {
        guard var total = sums.first else { return [:] }
        for s in sums.dropFirst() { total.merge(s) }
        return total.summary()
    }
}
