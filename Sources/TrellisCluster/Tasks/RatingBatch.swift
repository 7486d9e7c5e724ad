import TrellisGraph
import TrellisModels

/// A rating batch: (user, item, rating) training edges, with the distinct users and items
/// they touch (the seeds) and each edge's position among them.
public struct RatingBatch: UserItemBatch {
    /// Distinct users; `positions[k]` is edge k's user among `ids`.
    public var users: SeedRows
    /// Distinct items; `positions[k]` is edge k's item among `ids`.
    public var items: SeedRows
    /// Edge k's observed rating.
    public var ratings: [Float]
    /// The batch's own (user, item) edges: no message may carry the rating being predicted.
    public var excludedEdges: EdgeExclusion?

    /// The batch of edges (users[k], items[k], ratings[k]), its seeds drawn out.
    public init(users: [Int32] = [], items: [Int32] = [], ratings: [Float] = []) {
        precondition(users.count == items.count && users.count == ratings.count,
                     "RatingBatch: \(users.count) users, \(items.count) items, \(ratings.count) ratings")
        self.users = BPRLoss.distinct(users)
        self.items = BPRLoss.distinct(items)
        self.ratings = ratings
        excludedEdges = EdgeExclusion(first: GraphTopology.user, second: GraphTopology.item, firstIDs: users, secondIDs: items)
    }

    public var count: Int { ratings.count }
}
