import TrellisGraph

/// The rated training edges of one partition (those of the users it owns) cut into the
/// batches of each epoch in the order `LinkBatchSampler` uses for links (`EpochOrder`; with
/// `training.links_per_user`, each user's edges in runs): a batch depends only on (seed,
/// partition, epoch, step). No negatives: each edge is one example. One sampler belongs to
/// one thread.
final class RatingBatchSampler {
    /// Edge k: users[k] gave items[k] the rating ratings[k].
    let users: [Int32]
    let items: [Int32]
    let ratings: [Float]
    private let epochOrder: EpochOrder

    init(partition: Int, users: [Int32], items: [Int32], ratings: [Float], stepsPerEpoch: Int, seed: UInt64, linksPerUser: Int = 0) {
        precondition(users.count == items.count && users.count == ratings.count)
        self.users = users
        self.items = items
        self.ratings = ratings
        epochOrder = EpochOrder(count: users.count, partition: partition, stepsPerEpoch: stepsPerEpoch, seed: seed,
                                groups: linksPerUser > 0 ? users : nil, run: linksPerUser)
    }

    /// The edges of (epoch, step).
    func batch(epoch: Int, step: Int) -> RatingBatch {
        let edges = epochOrder.step(step, epoch: epoch)
        return RatingBatch(users: edges.map { users[Int($0)] }, items: edges.map { items[Int($0)] },
                           ratings: edges.map { ratings[Int($0)] })
    }
}
