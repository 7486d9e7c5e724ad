import TrellisCore

/// A ranking mini-batch: (user, positive item, negative item) triples.
public struct LinkBatch: Sendable, Equatable {
    public var users: [Int32] = []
    public var positives: [Int32] = []
    public var negatives: [Int32] = []
    public init(users: [Int32] = [], positives: [Int32] = [], negatives: [Int32] = []) {
        self.users = users
        self.positives = positives
        self.negatives = negatives
    }
    public var count: Int { users.count }
}

/// The training links of one partition (those of the users it owns) cut into the mini-batches
/// of each epoch.
///
/// Every partition runs the same number of steps per epoch (`stepsPerEpoch`, fixed by the
/// whole training set and the global batch size), each taking an even slice of its own links,
/// so a global step is the union of one batch per partition. A batch depends only on (seed,
/// partition, epoch, step): whoever computes it, and whenever, gets the same one.
///
/// The epoch's shuffled order is kept between steps (`EpochOrder`; with `linksPerUser`, each
/// user's links in runs of up to that many), so one sampler belongs to one thread.
public final class LinkBatchSampler {
    public let partition: Int
    /// Training links of the partition: users[k] interacted with items[k].
    public let users: [Int32]
    public let items: [Int32]
    public let itemCount: Int
    public let stepsPerEpoch: Int
    public let negatives: Int
    public let seed: UInt64
    /// Sorted training items of each owned user (for negatives), looked up by global user id.
    private let knownItems: (Int32) -> ArraySlice<Int32>
    /// The links' order per epoch and each step's slice of it.
    private let epochOrder: EpochOrder

    public init(partition: Int, users: [Int32], items: [Int32], itemCount: Int, stepsPerEpoch: Int, negatives: Int,
                seed: UInt64, linksPerUser: Int = 0, knownItems: @escaping (Int32) -> ArraySlice<Int32>) {
        precondition(users.count == items.count && stepsPerEpoch >= 1 && negatives >= 1)
        self.partition = partition
        self.users = users
        self.items = items
        self.itemCount = itemCount
        self.stepsPerEpoch = stepsPerEpoch
        self.negatives = negatives
        self.seed = seed
        self.knownItems = knownItems
        epochOrder = EpochOrder(count: users.count, partition: partition, stepsPerEpoch: stepsPerEpoch, seed: seed,
                                groups: linksPerUser > 0 ? users : nil, run: linksPerUser)
    }

    /// Positives per step: ceil(links / steps), so the last steps may be shorter or empty.
    public var chunk: Int { epochOrder.chunk }

    /// Triples of (epoch, step): each positive once per negative.
    public func batch(epoch: Int, step: Int) -> LinkBatch {
        let links = epochOrder.step(step, epoch: epoch)
        var rng = SeededGenerator(seed: seed, stream: [2, UInt64(epoch), UInt64(step), UInt64(partition)])
        var batch = LinkBatch()
        for k in links {
            let u = users[Int(k)], i = items[Int(k)]
            let known = knownItems(u)
            for _ in 0..<negatives {
                batch.users.append(u)
                batch.positives.append(i)
                batch.negatives.append(Self.negative(excluding: known, itemCount: itemCount, using: &rng))
            }
        }
        return batch
    }

    /// Triples in step `step` (without drawing them): for normalising a global step's loss.
    public func count(step: Int) -> Int {
        Self.count(step: step, links: users.count, stepsPerEpoch: stepsPerEpoch, negatives: negatives)
    }

    /// Triples at `step` of a partition with `links` training links.
    public static func count(step: Int, links: Int, stepsPerEpoch: Int, negatives: Int) -> Int {
        let chunk = (links + stepsPerEpoch - 1) / stepsPerEpoch
        let start = min(links, step * chunk)
        return negatives * (min(links, start + chunk) - start)
    }

    /// A uniformly drawn item not in `known` (sorted); any item if the user has seen them all.
    static func negative(excluding known: ArraySlice<Int32>, itemCount: Int, using rng: inout SeededGenerator) -> Int32 {
        guard known.count < itemCount else { return Int32(rng.nextInt(below: itemCount)) }
        while true {
            let j = Int32(rng.nextInt(below: itemCount))
            if !contains(known, j) { return j }
        }
    }

    static func contains(_ sorted: ArraySlice<Int32>, _ x: Int32) -> Bool {
        var lo = sorted.startIndex, hi = sorted.endIndex
        while lo < hi {
            let mid = (lo + hi) / 2
            if sorted[mid] < x { lo = mid + 1 } else { hi = mid }
        }
        return lo < sorted.endIndex && sorted[lo] == x
    }
}
