import TrellisData

extension GraphTopology {
    /// One relation's edges as the data lists them: `sources[k] -> targets[k]`, with one value
    /// per edge for each of the relation's attributes (`attributes[a][k]`).
    public struct EdgeList: Sendable {
        public var sources: [Int32]
        public var targets: [Int32]
        public var attributes: [[Float]]
        public init(sources: [Int32], targets: [Int32], attributes: [[Float]] = []) {
            self.sources = sources
            self.targets = targets
            self.attributes = attributes
        }
    }

    /// A graph of `schema` from each relation's edges. Everything is checked before anything
    /// is built: a bad count or id is a `DataError` naming the relation (`user-rates->item`),
    /// the 1-based edge and the column. Edges are stored by target with sources ascending
    /// (ties keep the data's order), attributes alongside; with `deduplicate` a repeated
    /// (source, target) keeps its first occurrence.
    public static func build(_ schema: GraphSchema, edges: [EdgeList], deduplicate: Bool = false) throws -> GraphTopology {
        try schema.validate()
        guard edges.count == schema.relations.count else {
            throw DataError(kind: .invalidValue, file: "graph", line: 0, field: "relations",
                            expected: "\(schema.relations.count) edge lists", found: "\(edges.count)")
        }
        for (r, list) in zip(schema.relations, edges) { try check(list, of: r, in: schema) }
        var adjacency: [CSRMatrix] = [], attributes: [[[Float]]] = []
        for (r, list) in zip(schema.relations, edges) {
            let (offsets, order) = incomingOrder(list, targets: schema.nodeTypes[r.target].count, deduplicate: deduplicate)
            adjacency.append(CSRMatrix(rowCount: schema.nodeTypes[r.target].count, columnCount: schema.nodeTypes[r.source].count,
                                       offsets: offsets, columns: order.map { list.sources[$0] }, values: nil))
            attributes.append(list.attributes.map { values in order.map { values[$0] } })
        }
        return GraphTopology(schema: schema, adjacency: adjacency, attributes: attributes)
    }

    /// `source-name->target`, for errors.
    static func label(_ r: Relation, _ schema: GraphSchema) -> String {
        "\(schema.nodeTypes[r.source].name)-\(r.name)->\(schema.nodeTypes[r.target].name)"
    }

    static func check(_ list: EdgeList, of r: Relation, in schema: GraphSchema) throws {
        let label = label(r, schema)
        guard list.sources.count == list.targets.count, list.attributes.count == r.attributes.count,
              list.attributes.allSatisfy({ $0.count == list.sources.count }) else {
            throw DataError(kind: .invalidValue, file: label, line: 0, field: "edges",
                            expected: "\(list.sources.count) sources, targets and values of each of \(r.attributes)",
                            found: "\(list.targets.count) targets, \(list.attributes.map(\.count)) values")
        }
        for (column, ids, type) in [(1, list.sources, r.source), (2, list.targets, r.target)] {
            let count = schema.nodeTypes[type].count, side = column == 1 ? "source" : "target"
            for (k, id) in ids.enumerated() where id < 0 || Int(id) >= count {
                throw DataError(kind: .idOutOfRange, file: label, line: k + 1, column: column,
                                field: "\(side):\(schema.nodeTypes[type].name)", expected: "an id in 0..<\(count)", found: "\(id)")
            }
        }
    }

    /// Row offsets by target and the edges' order: a stable counting sort by target, then by
    /// source within each target; repeats dropped with `deduplicate`.
    static func incomingOrder(_ list: EdgeList, targets: Int, deduplicate: Bool) -> (offsets: [Int], order: [Int]) {
        var counts = [Int](repeating: 0, count: targets + 1)
        for t in list.targets { counts[Int(t) + 1] += 1 }
        for k in 0..<targets { counts[k + 1] += counts[k] }
        var next = counts, order = [Int](repeating: 0, count: list.targets.count)
        for (e, t) in list.targets.enumerated() {
            order[next[Int(t)]] = e
            next[Int(t)] += 1
        }
        var offsets = [0], kept: [Int] = []
        kept.reserveCapacity(order.count)
        for row in 0..<targets {
            let slice = order[counts[row]..<counts[row + 1]].sorted { (list.sources[$0], $0) < (list.sources[$1], $1) }
            for e in slice where !deduplicate || kept.count == offsets.last! || list.sources[kept.last!] != list.sources[e] {
                kept.append(e)
            }
            offsets.append(kept.count)
        }
        return (offsets, kept)
    }
}
