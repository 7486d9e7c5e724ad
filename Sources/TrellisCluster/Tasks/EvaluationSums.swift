import TrellisEval

/// What one partition's evaluation adds up, merged over partitions in partition order and
/// only then divided: ranking sums per cut-off with the users counted (and the items' best
/// ranks, for coverage), or rating error sums with the pairs counted.
public enum EvaluationSums: Sendable {
    case ranking(RankingMetrics)
    case rating(RatingSums)

    /// Whether `other` can be merged into these sums: the same task, cut-offs and catalogue.
    public func matches(_ other: EvaluationSums) -> Bool {
        switch (self, other) {
        case (.ranking(let a), .ranking(let b)): return a.ks == b.ks && a.itemCount == b.itemCount
        case (.rating, .rating): return true
        default: return false
        }
    }

    /// Adds another partition's sums (of the same task; see `matches`).
    public mutating func merge(_ other: EvaluationSums) {
        switch (self, other) {
        case (.ranking(var mine), .ranking(let theirs)):
            mine.merge(theirs)
            self = .ranking(mine)
        case (.rating(var mine), .rating(let theirs)):
            mine.add(theirs)
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
        case .rating(let s):
            return ["rmse": s.rmse, "mae": s.mae, "pairs": Double(s.count)]
        }
    }

    /// `sums` of every partition merged in partition order, as metrics.
    public static func merged(_ sums: [EvaluationSums]) -> [String: Double] {
        guard var total = sums.first else { return [:] }
        for s in sums.dropFirst() { total.merge(s) }
        return total.summary()
    }
}

extension EvaluationSums: Equatable {
    /// The same sums, as a message carries them.
    public static func == (a: EvaluationSums, b: EvaluationSums) -> Bool {
        switch (a, b) {
        case (.ranking(let x), .ranking(let y)):
            return x.ks == y.ks && x.userCount == y.userCount && x.sumValues == y.sumValues && x.bestRanks == y.bestRanks
        case (.rating(let x), .rating(let y)):
            return x == y
        default:
            return false
        }
    }
}
