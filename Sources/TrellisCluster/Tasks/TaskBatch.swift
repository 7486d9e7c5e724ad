import TrellisGraph

/// One partition's batch for one step, as its task drew it. The engine reads only how many
/// examples it holds and which nodes the model must represent; the rest is the task's own.
public protocol TaskBatch: Sendable {
    /// Examples in the batch: the loss is a mean over the global step's examples.
    var count: Int { get }
    /// Distinct seed node ids per node type (node-type order): the sample starts from these,
    /// and the model's outputs are their representations.
    var seeds: [[Int32]] { get }
    /// Edges the neighbour sample must leave out (the supervised edges themselves), or nil.
    var excludedEdges: EdgeExclusion? { get }
    /// The same examples over a whole-graph model's outputs: every node of each type is a
    /// seed (`nodeCounts[t]` of them, in id order), so each example's rows are its global ids.
    func overWholeGraph(nodeCounts: [Int]) -> any TaskBatch
}

extension TaskBatch {
    public var excludedEdges: EdgeExclusion? { nil }
}

/// Distinct seed ids and each example's position among them, as `BPRLoss.distinct` gives.
public typealias SeedRows = (ids: [Int32], positions: [Int32])

/// A batch of (user, item) examples: its seeds are the distinct users (type 0) and items
/// (type 1), each example pointing at its rows among them.
public protocol UserItemBatch: TaskBatch {
    var users: SeedRows { get set }
    var items: SeedRows { get set }
}

extension UserItemBatch {
    public var seeds: [[Int32]] { [users.ids, items.ids] }

    public func overWholeGraph(nodeCounts: [Int]) -> any TaskBatch {
        // Every node a seed, in id order: each example's position becomes its global id.
        func whole(_ rows: SeedRows, _ count: Int) -> SeedRows {
            ((0..<Int32(count)).map { $0 }, rows.positions.map { rows.ids[Int($0)] })
        }
        var b = self
        b.users = whole(users, nodeCounts[0])
        b.items = whole(items, nodeCounts[1])
        return b
    }
}
