import TrellisGraph
import TrellisModels

/// A rating batch: (user, item, rating) training edges, with the distinct users and items
/// they touch (the seeds) and each edge's position among them.
public struct RatingBatch: TaskBatch {
    /// Distinct users; `positions[k]` is edge k's user among `ids`.
    public var users: (ids: [Int32], positions: [Int32])
    /// Distinct items; `positions[k]` is edge k's item among `ids`.
    public var items: (ids: [Int32], positions: [Int32])
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
    /// Users (type 0) and items (type 1).
    public var seeds: [[Int32]] { [users.ids, items.ids] }

    public func overWholeGraph(nodeCounts: [Int]) -> any TaskBatch {
        var b = self
        b.users = wholeGraphRows(users, count: nodeCounts[0])
        b.items = wholeGraphRows(items, count: nodeCounts[1])
        return b
    }
}
