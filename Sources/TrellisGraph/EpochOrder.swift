import TrellisCore
import TrellisData

/// A partition's training examples in a seeded order per epoch, cut into the epoch's steps:
/// every partition runs `stepsPerEpoch` steps, each an even slice (ceil(count / steps)) of
/// its own examples, so the last steps may be shorter or empty. The order depends only on
/// (seed, epoch, partition); it is drawn once per epoch and kept (reshuffling for every step
/// would cost O(count) per step), so one instance belongs to one thread.
///
/// With `groups` (each example's group, such as its user) and a `run` length, the order takes
/// each group's examples in runs of up to `run` (a group's examples shuffled, cut into runs,
/// and the runs of all groups shuffled): a step of B examples then touches about B / run
/// groups, as PyG's NeighborLoader over seed users does (1,024 users x 10 rated edges), and
/// its sample shares their neighbourhoods. The step sizes are the same either way.
public final class EpochOrder {
    public let count: Int
    public let partition: Int
    public let stepsPerEpoch: Int
    public let seed: UInt64
    /// Examples of one group are contiguous here (by ascending group), in index order.
    private let byGroup: [Int32]
    /// Where each group's examples start in `byGroup`, plus the end; empty without groups.
    private let groupStarts: [Int]
    private let run: Int
    /// The order of the epoch last asked for.
    private var cached: (epoch: Int, order: [Int32])?

    /// `groups[k]` (>= 0) is example k's group; `run` >= 1 with groups, ignored without.
    public init(count: Int, partition: Int, stepsPerEpoch: Int, seed: UInt64, groups: [Int32]? = nil, run: Int = 0) {
        precondition(count >= 0 && stepsPerEpoch >= 1)
        self.count = count
        self.partition = partition
        self.stepsPerEpoch = stepsPerEpoch
        self.seed = seed
        if let groups, run > 0 {
            precondition(groups.count == count)
            // Row g of a (group x example) pattern holds group g's examples in index order.
            let members = CSRMatrix(rowCount: Int(groups.max() ?? -1) + 1, columnCount: count, rows: groups,
                                    columns: (0..<Int32(count)).map { $0 }, values: nil, sortRows: false)
            byGroup = members.columns
            groupStarts = members.offsets
            self.run = run
        } else {
            byGroup = []
            groupStarts = []
            self.run = 0
        }
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
        var rng = SeededGenerator(seed: seed, stream: [1, UInt64(epoch), UInt64(partition)])
        let order = run > 0 ? grouped(using: &rng) : {
            var order = (0..<count).map { Int32($0) }
            rng.shuffle(&order)
            return order
        }()
        cached = (epoch, order)
        return order
    }

    /// Each group's examples shuffled and cut into runs of `run`; the runs shuffled.
    private func grouped(using rng: inout SeededGenerator) -> [Int32] {
        var members = byGroup
        var runs: [(start: Int32, count: Int32)] = []
        runs.reserveCapacity(count / run + groupStarts.count)
        for g in 0..<(groupStarts.count - 1) {
            let range = groupStarts[g]..<groupStarts[g + 1]
            rng.shuffle(&members[range])
            for start in stride(from: range.lowerBound, to: range.upperBound, by: run) {
                runs.append((Int32(start), Int32(min(run, range.upperBound - start))))
            }
        }
        rng.shuffle(&runs)
        var order: [Int32] = []
        order.reserveCapacity(count)
        for r in runs { order.append(contentsOf: members[Int(r.start)..<Int(r.start + r.count)]) }
        return order
    }
}
