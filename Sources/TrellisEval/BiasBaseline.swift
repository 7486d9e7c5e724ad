/// The "user + item bias" rating baseline, fitted as Surprise's `BaselineOnly` with
/// `bsl_options = {'method': 'als', 'reg_u': 15, 'reg_i': 10, 'n_epochs': 10}` (its defaults):
///
///     r̂(u, i) = μ + b_u + b_i                      μ: the mean training rating
///     repeat epochs times:
///       b_i ← Σ_{u ∈ R(i)} (r_ui − μ − b_u) / (reg_i + |R(i)|)    every item i
///       b_u ← Σ_{i ∈ R(u)} (r_ui − μ − b_i) / (reg_u + |R(u)|)    every user u
///
/// Each half-step is the exact minimiser of Σ (r_ui − μ − b_u − b_i)² + reg_u Σ b_u² +
/// reg_i Σ b_i² over one block with the other held fixed, so the objective never rises. A
/// user or item without training ratings keeps bias 0 (and one whose id is past the fitted
/// range is treated the same), so its prediction falls back towards μ.
public struct BiasBaseline: Sendable {
    /// Regularisation and passes.
    public struct Settings: Sendable, Equatable {
        /// reg_u: shrinks the user biases of users with few ratings towards 0.
        public var userReg = 15.0
        /// reg_i: shrinks the item biases of items with few ratings towards 0.
        public var itemReg = 10.0
        /// Alternating passes (items, then users).
        public var epochs = 10
        public init() {}
    }

    /// μ, the mean training rating.
    public let mean: Double
    /// b_u per user id.
    public let userBias: [Double]
    /// b_i per item id.
    public let itemBias: [Double]

    /// Fits μ, b_u and b_i to `train` over `userCount` users and `itemCount` items.
    public init(fitting train: RatedPairs, userCount: Int, itemCount: Int, settings: Settings = Settings()) {
        precondition(train.count > 0, "BiasBaseline: no training ratings")
        precondition(settings.userReg >= 0 && settings.itemReg >= 0 && settings.epochs >= 0, "BiasBaseline: bad settings \(settings)")
        for (u, i) in zip(train.users, train.items) {
            precondition(u >= 0 && Int(u) < userCount && i >= 0 && Int(i) < itemCount,
                         "BiasBaseline: pair (\(u), \(i)) outside \(userCount) users x \(itemCount) items")
        }
        let mu = train.meanRating
        var bu = [Double](repeating: 0, count: userCount), bi = [Double](repeating: 0, count: itemCount)
        var userCounts = [Double](repeating: 0, count: userCount), itemCounts = [Double](repeating: 0, count: itemCount)
        for (u, i) in zip(train.users, train.items) { userCounts[Int(u)] += 1; itemCounts[Int(i)] += 1 }
        var sums = [Double]()
        for _ in 0..<settings.epochs {
            sums = [Double](repeating: 0, count: itemCount)
            for k in 0..<train.count { sums[Int(train.items[k])] += Double(train.ratings[k]) - mu - bu[Int(train.users[k])] }
            for i in 0..<itemCount { bi[i] = Self.shrunk(sums[i], count: itemCounts[i], reg: settings.itemReg) }
            sums = [Double](repeating: 0, count: userCount)
            for k in 0..<train.count { sums[Int(train.users[k])] += Double(train.ratings[k]) - mu - bi[Int(train.items[k])] }
            for u in 0..<userCount { bu[u] = Self.shrunk(sums[u], count: userCounts[u], reg: settings.userReg) }
        }
        mean = mu
        userBias = bu
        itemBias = bi
    }

    /// sum / (reg + count); 0 when both are 0 (no ratings and no regularisation), not NaN.
    @inline(__always)
    static func shrunk(_ sum: Double, count: Double, reg: Double) -> Double {
        count + reg > 0 ? sum / (count + reg) : 0
    }

    /// μ + b_u + b_i (unclipped; `RatingMetrics` clips to the scale if asked).
    public func predict(user: Int32, item: Int32) -> Float {
        let u = Int(user), i = Int(item)
        let b = (userBias.indices.contains(u) ? userBias[u] : 0) + (itemBias.indices.contains(i) ? itemBias[i] : 0)
        return Float(mean + b)
    }
}
