import TrellisCore

/// A partition's training examples in a seeded order per epoch, cut into the epoch's steps:
/// every partition runs `stepsPerEpoch` steps, each an even slice (ceil(count / steps)) of
/// its own examples, so the last steps may be shorter or empty. The order depends only on
/// (seed, epoch, partition); it is drawn once per epoch and kept (reshuffling for every step
/// would cost O(count) per step), so one instance belongs to one thread.
public final class EpochOrder {
    public let count: Int
    public let partition: Int
    public let stepsPerEpoch: Int
    public let seed: UInt64
    /// The order of the epoch last asked for.
    private var cached: (epoch: Int, order: [Int32])?

    public init(count: Int, partition: Int, stepsPerEpoch: Int, seed: UInt64) {
        precondition(count >= 0 && stepsPerEpoch >= 1)
        self.count = count
        self.partition = partition
        self.stepsPerEpoch = stepsPerEpoch
        self.seed = seed
    }

    /// Examples per step: ceil(count / steps).
    public var chunk: Int { (count + stepsPerEpoch - 1) / stepsPerEpoch }

    /// The example indices of (epoch, step), in the epoch's order.
    public func step(_ step: Int, epoch: Int) -> ArraySlice<Int32> {
        precondition(step >= 0 && step < stepsPerEpoch, "step \(step) of \(stepsPerEpoch)")
        let order = self.order(epoch: epoch)
        let start = min(order.count, step * chunk)
        return order[start..<min(order.count, start + chunk)]
    }

    /// The epoch's shuffled order.
    public func order(epoch: Int) -> [Int32] {
        if let cached, cached.epoch == epoch { return cached.order }
        var order = (0..<count).map { Int32($0) }
        var rng = SeededGenerator(seed: seed, stream: [1, UInt64(epoch), UInt64(partition)])
        rng.shuffle(&order)
        cached = (epoch, order)
        return order
    }
}
