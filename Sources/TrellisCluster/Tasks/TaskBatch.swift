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
}

extension TaskBatch {
    public var excludedEdges: EdgeExclusion? { nil }
}
