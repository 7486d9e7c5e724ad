/// A typed heterogeneous graph: named node types and typed relations between them.
///
/// Each relation is stored twice, as CSR adjacency `outgoing` (source -> target) and
/// `incoming` (target -> source), so message passing in either direction reads rows
/// contiguously. Rows are sorted by neighbour id.
public struct HeteroGraph: Sendable {
    /// A kind of node, e.g. "user", with its id space.
    public struct NodeType: Sendable, Equatable {
        /// The type's name.
        public let name: String
        /// Number of nodes; ids are `0..<count`.
        public let count: Int
        /// Raw id <-> node id (may be empty for anonymous nodes).
        public let ids: IDMap
    }

    /// A typed edge set, e.g. ("user", "rates", "item").
    public struct RelationType: Sendable, Hashable, CustomStringConvertible {
        /// Source node type name.
        public var source: String
        /// Relation name.
        public var name: String
        /// Target node type name.
        public var target: String

        /// The relation `source -name-> target`.
        public init(source: String, name: String, target: String) {
            self.source = source
            self.name = name
            self.target = target
        }

        /// `source-name->target`.
        public var description: String { "\(source)-\(name)->\(target)" }
    }

    /// Which way to read a relation's adjacency.
    public enum Direction: Sendable {
        /// Rows are sources, columns targets.
        case outgoing
        /// Rows are targets, columns sources.
        case incoming
    }

    /// Node types in the order they were added.
    public private(set) var nodeTypes: [NodeType] = []
    /// Relation types in the order they were added.
    public private(set) var relations: [RelationType] = []
    private var outgoing: [RelationType: CSRMatrix] = [:]
    private var incoming: [RelationType: CSRMatrix] = [:]

    /// An empty graph.
    public init() {}

    // MARK: Building

    /// Adds node type `name` whose ids are those of `ids`.
    public mutating func addNodeType(_ name: String, ids: IDMap) throws {
        try addNodeType(NodeType(name: name, count: ids.count, ids: ids))
    }

    /// Adds node type `name` with `count` anonymous nodes.
    public mutating func addNodeType(_ name: String, count: Int) throws {
        precondition(count >= 0 && count <= Int(Int32.max), "HeteroGraph: node count out of range")
        try addNodeType(NodeType(name: name, count: count, ids: IDMap()))
    }

    private mutating func addNodeType(_ type: NodeType) throws {
        guard nodeType(type.name) == nil else {
            throw DataError(kind: .invalidValue, file: "graph", line: 0, field: "node type",
                            expected: "a new node type name", found: type.name)
        }
        nodeTypes.append(type)
    }

    /// Adds the edges `sources[k] -> targets[k]` (with optional `weights`) as relation `type`.
    ///
    /// Both endpoint types must exist and every id must be in range; otherwise a `DataError`
    /// names the relation, the 1-based edge number and the offending id. With `deduplicate`,
    /// repeated edges collapse to their first occurrence (its weight kept).
    public mutating func addRelation(_ type: RelationType, sources: [Int32], targets: [Int32],
                                     weights: [Float]? = nil, deduplicate: Bool = false) throws {
        let label = type.description
        guard relations.firstIndex(of: type) == nil else {
            throw DataError(kind: .invalidValue, file: label, line: 0, field: "relation",
                            expected: "a new relation", found: type.description)
        }
        let sourceCount = try requireNodeCount(type.source, relation: type)
        let targetCount = try requireNodeCount(type.target, relation: type)
        guard sources.count == targets.count, weights == nil || weights!.count == sources.count else {
            throw DataError(kind: .invalidValue, file: label, line: 0, field: "edges",
                            expected: "equal numbers of sources, targets and weights",
                            found: "\(sources.count), \(targets.count), \(weights?.count ?? sources.count)")
        }
        try Self.checkRange(sources, count: sourceCount, column: 1, field: "source:\(type.source)", relation: type)
        try Self.checkRange(targets, count: targetCount, column: 2, field: "target:\(type.target)", relation: type)
        var forward = CSRMatrix(rowCount: sourceCount, columnCount: targetCount, rows: sources,
                                columns: targets, values: weights, sortRows: true)
        if deduplicate { forward = forward.removingDuplicateColumns() }
        relations.append(type)
        outgoing[type] = forward
        incoming[type] = forward.transposed()
    }

    // MARK: Queries

    /// The node type named `name`, or nil.
    public func nodeType(_ name: String) -> NodeType? { nodeTypes.first { $0.name == name } }

    /// Number of nodes of type `name` (0 if there is no such type).
    public func nodeCount(_ name: String) -> Int { nodeType(name)?.count ?? 0 }

    /// The adjacency of `relation` read in `direction`; the relation must have been added.
    public func adjacency(_ relation: RelationType, direction: Direction = .outgoing) -> CSRMatrix {
        let matrix = direction == .outgoing ? outgoing[relation] : incoming[relation]
        guard let matrix else { preconditionFailure("HeteroGraph: no relation \(relation)") }
        return matrix
    }

    /// Number of edges stored for `relation` (0 if absent).
    public func edgeCount(_ relation: RelationType) -> Int { outgoing[relation]?.nnz ?? 0 }

    // MARK: Validation

    private func requireNodeCount(_ name: String, relation: RelationType) throws -> Int {
        guard let type = nodeType(name) else {
            throw DataError(kind: .invalidValue, file: relation.description, line: 0, field: "node type",
                            expected: "a node type added with addNodeType", found: name)
        }
        return type.count
    }

    private static func checkRange(_ ids: [Int32], count: Int, column: Int, field: String,
                                   relation: RelationType) throws {
        for (k, id) in ids.enumerated() where id < 0 || Int(id) >= count {
            throw DataError(kind: .idOutOfRange, file: relation.description, line: k + 1, column: column,
                            field: field, expected: "an id in 0..<\(count)", found: "\(id)")
        }
    }
}
