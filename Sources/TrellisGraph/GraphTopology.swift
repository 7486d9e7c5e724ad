import TrellisData

/// The typed shape of a heterogeneous graph and its adjacency, indexed the way message passing
/// reads it: for each relation, a CSR whose row v lists the `source` nodes that send messages
/// to `target` node v.
///
/// A recommender's user-item graph is two relations: `item->user` (a user hears from the items
/// it interacted with) and `user->item` (an item hears from its users).
public struct GraphTopology: Sendable {
    public typealias Relation = GraphSchema.Relation

    /// Node types, relations (with their edge attribute names) and feature tables.
    public let schema: GraphSchema
    /// adjacency[r]: (nodeCounts[target] rows, nodeCounts[source] columns), sorted rows.
    public let adjacency: [CSRMatrix]
    /// attributes[r][a]: relation r's attribute a (`schema.relations[r].attributes[a]`) for
    /// every edge, in the order of `adjacency[r]`'s entries.
    public let attributes: [[[Float]]]

    public init(schema: GraphSchema, adjacency: [CSRMatrix], attributes: [[[Float]]]? = nil) {
        precondition(schema.relations.count == adjacency.count)
        let nodeCounts = schema.nodeCounts
        for (r, a) in zip(schema.relations, adjacency) {
            precondition(a.rowCount == nodeCounts[r.target] && a.columnCount == nodeCounts[r.source],
                         "relation \(r.name): adjacency is \(a.rowCount)x\(a.columnCount)")
        }
        let attributes = attributes ?? schema.relations.map { $0.attributes.map { _ in [] } }
        precondition(zip(schema.relations, zip(adjacency, attributes)).allSatisfy { r, aa in
            aa.1.count == r.attributes.count && aa.1.allSatisfy { $0.count == aa.0.nnz }
        }, "one value per edge for every attribute")
        self.schema = schema
        self.adjacency = adjacency
        self.attributes = attributes
    }

    public init(nodeTypes: [String], nodeCounts: [Int], relations: [Relation], adjacency: [CSRMatrix]) {
        precondition(nodeTypes.count == nodeCounts.count)
        self.init(schema: GraphSchema(nodeTypes: zip(nodeTypes, nodeCounts).map { GraphSchema.NodeType(name: $0, count: $1) },
                                      relations: relations),
                  adjacency: adjacency)
    }

    /// Node type names, e.g. `["user", "item"]`.
    public var nodeTypes: [String] { schema.nodeTypes.map(\.name) }
    /// Nodes per type.
    public var nodeCounts: [Int] { schema.nodeCounts }
    public var relations: [Relation] { schema.relations }

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

    /// The same graph from rated edges, each relation carrying a `rating` attribute:
    /// (users[k], items[k]) rated ratings[k]; a repeated pair keeps its first rating.
    public static func userItem(users: [Int32], items: [Int32], ratings: [Float], userCount: Int, itemCount: Int) throws -> GraphTopology {
        let schema = GraphSchema(nodeTypes: [GraphSchema.NodeType(name: "user", count: userCount),
                                             GraphSchema.NodeType(name: "item", count: itemCount)],
                                 relations: [Relation(name: "item->user", source: item, target: user, attributes: ["rating"]),
                                             Relation(name: "user->item", source: user, target: item, attributes: ["rating"])])
        return try build(schema, edges: [EdgeList(sources: items, targets: users, attributes: [ratings]),
                                         EdgeList(sources: users, targets: items, attributes: [ratings])], deduplicate: true)
    }

    /// The user-item graph with one pair of relations per rating level (GC-MC's rating-typed
    /// edges): `item->user:R` and `user->item:R` hold the pairs rated R, levels ascending.
    public static func userItemByRating(users: [Int32], items: [Int32], ratings: [Float], userCount: Int, itemCount: Int) throws -> GraphTopology {
        let levels = Array(Set(ratings)).sorted()
        var relations: [Relation] = [], edges: [EdgeList] = []
        for level in levels {
            let keep = ratings.indices.filter { ratings[$0] == level }
            let u = keep.map { users[$0] }, i = keep.map { items[$0] }
            let name = level == level.rounded() ? "\(Int(level))" : "\(level)"
            relations += [Relation(name: "item->user:\(name)", source: item, target: user),
                          Relation(name: "user->item:\(name)", source: user, target: item)]
            edges += [EdgeList(sources: i, targets: u), EdgeList(sources: u, targets: i)]
        }
        let schema = GraphSchema(nodeTypes: [GraphSchema.NodeType(name: "user", count: userCount),
                                             GraphSchema.NodeType(name: "item", count: itemCount)], relations: relations)
        return try build(schema, edges: edges, deduplicate: true)
    }

    /// Edges over all relations.
    public var edgeCount: Int { adjacency.reduce(0) { $0 + $1.nnz } }

    /// Relations whose messages arrive at nodes of `type`.
    public func relations(into type: Int) -> [Int] {
        relations.indices.filter { relations[$0].target == type }
    }
}

extension GraphTopology {
    /// The same graph with `features` as its schema's feature tables.
    public func with(features: [GraphSchema.FeatureTable]) -> GraphTopology {
        var schema = schema
        schema.features = features
        return GraphTopology(schema: schema, adjacency: adjacency, attributes: attributes)
    }
}
