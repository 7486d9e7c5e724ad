import TrellisData

/// The typed shape of a heterogeneous graph and its adjacency, indexed the way message passing
/// reads it: for each relation, a CSR whose row v lists the `source` nodes that send messages
/// to `target` node v.
///
/// A recommender's user-item graph is two relations: `item->user` (a user hears from the items
/// it interacted with) and `user->item` (an item hears from its users).
public struct GraphTopology: Sendable {
    /// A relation: messages flow from nodes of type `source` to nodes of type `target`.
    public struct Relation: Sendable, Equatable {
        public var name: String
        /// Index into `nodeTypes` of the sending side.
        public var source: Int
        /// Index into `nodeTypes` of the receiving side.
        public var target: Int
        public init(name: String, source: Int, target: Int) {
            self.name = name
            self.source = source
            self.target = target
        }
    }

    /// Node type names, e.g. `["user", "item"]`.
    public let nodeTypes: [String]
    /// Nodes per type.
    public let nodeCounts: [Int]
    public let relations: [Relation]
    /// adjacency[r]: (nodeCounts[target] rows, nodeCounts[source] columns), sorted rows.
    public let adjacency: [CSRMatrix]

    public init(nodeTypes: [String], nodeCounts: [Int], relations: [Relation], adjacency: [CSRMatrix]) {
        precondition(nodeTypes.count == nodeCounts.count && relations.count == adjacency.count)
        for (r, a) in zip(relations, adjacency) {
            precondition(a.rowCount == nodeCounts[r.target] && a.columnCount == nodeCounts[r.source],
                         "relation \(r.name): adjacency is \(a.rowCount)x\(a.columnCount)")
        }
        self.nodeTypes = nodeTypes
        self.nodeCounts = nodeCounts
        self.relations = relations
        self.adjacency = adjacency
    }

    /// Index of the `user` and `item` node types in `userItem(_:)` graphs.
    public static let user = 0, item = 1

    /// The relations of `userItem(_:)` graphs.
    public static let userItemRelations = [Relation(name: "item->user", source: item, target: user),
                                           Relation(name: "user->item", source: user, target: item)]
    public static let userItemNodeTypes = ["user", "item"]

    /// The bipartite graph of `interactions` (users x items): relation 0 `item->user`,
    /// relation 1 `user->item`.
    public static func userItem(_ interactions: CSRMatrix) -> GraphTopology {
        let values = CSRMatrix(rowCount: interactions.rowCount, columnCount: interactions.columnCount,
                               offsets: interactions.offsets, columns: interactions.columns, values: nil)
        return GraphTopology(
            nodeTypes: ["user", "item"], nodeCounts: [interactions.rowCount, interactions.columnCount],
            relations: [Relation(name: "item->user", source: item, target: user),
                        Relation(name: "user->item", source: user, target: item)],
            adjacency: [values, values.transposed()])
    }

    /// Edges over all relations.
    public var edgeCount: Int { adjacency.reduce(0) { $0 + $1.nnz } }

    /// Relations whose messages arrive at nodes of `type`.
    public func relations(into type: Int) -> [Int] {
        relations.indices.filter { relations[$0].target == type }
    }
}
