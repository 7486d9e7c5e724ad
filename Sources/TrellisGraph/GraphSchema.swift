import TrellisData

/// The typed shape of a graph, named by the data: node types and their counts, relations with
/// the names of their edge attributes (a rating, a timestamp), and node feature tables. It is
/// small and travels in a worker's welcome, so a worker builds its sampler and model from it
/// with no code per dataset.
public struct GraphSchema: Sendable, Equatable, Codable {
    public struct NodeType: Sendable, Equatable, Codable {
        public var name: String
        public var count: Int
        public init(name: String, count: Int) {
            self.name = name
            self.count = count
        }
    }

    /// Messages flow from nodes of type `source` to nodes of type `target`; each edge carries
    /// one value per name in `attributes`.
    public struct Relation: Sendable, Equatable, Codable {
        public var name: String
        /// Index into `nodeTypes` of the sending side.
        public var source: Int
        /// Index into `nodeTypes` of the receiving side.
        public var target: Int
        public var attributes: [String]
        public init(name: String, source: Int, target: Int, attributes: [String] = []) {
            self.name = name
            self.source = source
            self.target = target
            self.attributes = attributes
        }
    }

    /// A per-node table of `width` values for nodes of `nodeType` (e.g. frozen text embeddings).
    public struct FeatureTable: Sendable, Equatable, Codable {
        public var name: String
        public var nodeType: Int
        public var width: Int
        public init(name: String, nodeType: Int, width: Int) {
            self.name = name
            self.nodeType = nodeType
            self.width = width
        }
    }

    public var nodeTypes: [NodeType]
    public var relations: [Relation]
    public var features: [FeatureTable]

    public init(nodeTypes: [NodeType], relations: [Relation], features: [FeatureTable] = []) {
        self.nodeTypes = nodeTypes
        self.relations = relations
        self.features = features
    }

    public var nodeCounts: [Int] { nodeTypes.map(\.count) }

    public func nodeType(named name: String) -> Int? { nodeTypes.firstIndex { $0.name == name } }
    public func relation(named name: String) -> Int? { relations.firstIndex { $0.name == name } }

    /// Throws unless names are unique, every index points at a node type, and every count
    /// and width fits an `Int32` id space.
    public func validate() throws {
        func fail(_ field: String, _ expected: String, _ found: String) -> DataError {
            DataError(kind: .invalidValue, file: "graph schema", line: 0, field: field, expected: expected, found: found)
        }
        for (k, t) in nodeTypes.enumerated() {
            guard !t.name.isEmpty, nodeType(named: t.name) == k else { throw fail("node type", "a new, non-empty name", t.name) }
            guard t.count >= 0, t.count <= Int(Int32.max) else { throw fail("node type \(t.name)", "a count in 0...\(Int32.max)", "\(t.count)") }
        }
        for (k, r) in relations.enumerated() {
            guard !r.name.isEmpty, relation(named: r.name) == k else { throw fail("relation", "a new, non-empty name", r.name) }
            guard nodeTypes.indices.contains(r.source), nodeTypes.indices.contains(r.target) else {
                throw fail("relation \(r.name)", "node types in 0..<\(nodeTypes.count)", "\(r.source) -> \(r.target)")
            }
            guard Set(r.attributes).count == r.attributes.count else { throw fail("relation \(r.name)", "distinct attribute names", "\(r.attributes)") }
        }
        for f in features {
            guard nodeTypes.indices.contains(f.nodeType), f.width >= 1 else {
                throw fail("feature table \(f.name)", "a node type in 0..<\(nodeTypes.count) and a width >= 1", "\(f.nodeType), \(f.width)")
            }
        }
    }
}
