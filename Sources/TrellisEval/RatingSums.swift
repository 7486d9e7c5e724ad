/// Running sums of rating-prediction errors: what a shard of (prediction, target) pairs
/// contributes to RMSE and MAE. Three numbers, so shards evaluated in other processes can
/// send theirs and be added exactly (up to the order of floating-point additions).
public struct RatingSums: Sendable, Equatable {
    /// Pairs added.
    public var count: Int
    /// Σ (prediction − target)², in Double so 10⁸ small terms do not lose precision.
    public var squaredError: Double
    /// Σ |prediction − target|.
    public var absoluteError: Double

    /// Sums as received from another shard (or zero).
    public init(count: Int = 0, squaredError: Double = 0, absoluteError: Double = 0) {
        self.count = count
        self.squaredError = squaredError
        self.absoluteError = absoluteError
    }

    /// Adds one pair's error.
    @inline(__always)
    public mutating func add(error: Double) {
        count += 1
        squaredError += error * error
        absoluteError += abs(error)
    }

    /// Adds another shard's sums.
    public mutating func add(_ other: RatingSums) {
        count += other.count
        squaredError += other.squaredError
        absoluteError += other.absoluteError
    }

    /// √(Σ e² / n); 0 with no pairs (never NaN from an empty shard).
    public var rmse: Double { count > 0 ? (squaredError / Double(count)).squareRoot() : 0 }
    /// Σ |e| / n; 0 with no pairs.
    public var mae: Double { count > 0 ? absoluteError / Double(count) : 0 }
}
