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

/// `rows` with every one of `count` nodes as a seed: positions become global ids.
func wholeGraphRows(_ rows: SeedRows, count: Int) -> SeedRows {
    ((0..<Int32(count)).map { $0 }, rows.positions.map { rows.ids[Int($0)] })
}
