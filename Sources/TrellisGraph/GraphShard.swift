import TrellisData

/// The adjacency a partition's owner holds: for each relation, the rows of the target nodes
/// it owns and nothing else, so its memory grows with the partition, not with the graph.
public struct GraphShard: Sendable {
    /// The partitions whose rows this shard holds.
    public let partitions: [Int]
    /// rows[r]: owned target nodes of relation r, ascending global ids.
    public let targets: [[Int32]]
    /// offsets[r][k]..<offsets[r][k+1] index `sources[r]` for targets[r][k].
    public let offsets: [[Int]]
    /// Global ids of source nodes, per relation.
    public let sources: [[Int32]]
    /// values[r]: relation r's edge attributes in `sources[r]` order, `valueWidths[r]` per
    /// edge (sources.count × width; empty for a relation without attributes).
    public let values: [[Float]]
    /// Attribute values per edge, per relation (the schema's attribute count).
    public let valueWidths: [Int]
    /// For each relation, global target id -> row in this shard (-1 when not held). Sized by the
    /// node count of the target type: 4 bytes a node, small next to the edges.
    private let localRow: [[Int32]]

    /// Cuts the rows of `partitions` out of the whole `graph` (done by whoever holds the whole
    /// graph: the coordinator, or a one-process run).
    public init(graph: GraphTopology, book: PartitionBook, partitions: [Int]) {
        let owned = Set(partitions)
        var targets: [[Int32]] = [], offsets: [[Int]] = [], sources: [[Int32]] = [], localRow: [[Int32]] = []
        var values: [[Float]] = []
        for (r, relation) in graph.relations.enumerated() {
            let a = graph.adjacency[r], attributes = graph.attributes[r]
            var t: [Int32] = [], o = [0], s: [Int32] = [], x: [Float] = []
            var local = [Int32](repeating: -1, count: a.rowCount)
            for v in 0..<a.rowCount where owned.contains(book.owner(type: relation.target, node: Int32(v))) {
                local[v] = Int32(t.count)
                t.append(Int32(v))
                s.append(contentsOf: a.row(v))
                for e in a.offsets[v]..<a.offsets[v + 1] { for column in attributes { x.append(column[e]) } }
                o.append(s.count)
            }
            targets.append(t); offsets.append(o); sources.append(s); localRow.append(local); values.append(x)
        }
        self.init(partitions: partitions, targets: targets, offsets: offsets, sources: sources, values: values,
                  valueWidths: graph.attributes.map(\.count), localRow: localRow)
    }

    /// A shard from its parts (as decoded from the wire); checks every index, and that each
    /// relation holds `valueWidths[r]` finite attribute values per edge (none when `values` is empty).
    public init(partitions: [Int], targets: [[Int32]], offsets: [[Int]], sources: [[Int32]], values: [[Float]] = [],
                valueWidths: [Int]? = nil, nodeCounts: [Int]) throws {
        let widths = valueWidths ?? targets.map { _ in 0 }
        let values = values.isEmpty ? targets.map { _ in [Float]() } : values
        guard targets.count == offsets.count, targets.count == sources.count, nodeCounts.count == targets.count,
              values.count == targets.count, widths.count == targets.count else {
            throw GraphError.malformedShard("relation counts differ")
        }
        for r in targets.indices {
            guard widths[r] >= 0, values[r].count == sources[r].count * widths[r], values[r].allSatisfy(\.isFinite) else {
                throw GraphError.malformedShard("relation \(r): \(values[r].count) edge values for \(sources[r].count) edges "
                                                + "of \(widths[r]) finite attributes")
            }
        }
        var localRow: [[Int32]] = []
        for r in targets.indices {
            guard offsets[r].count == targets[r].count + 1, offsets[r].first == 0, offsets[r].last == sources[r].count,
                  zip(offsets[r], offsets[r].dropFirst()).allSatisfy({ $0 <= $1 }) else {
                throw GraphError.malformedShard("relation \(r): offsets do not index the sources")
            }
            var local = [Int32](repeating: -1, count: nodeCounts[r])
            for (k, v) in targets[r].enumerated() {
                guard v >= 0, Int(v) < nodeCounts[r] else { throw GraphError.malformedShard("relation \(r): target \(v) out of range") }
                local[Int(v)] = Int32(k)
            }
            localRow.append(local)
        }
        self.init(partitions: partitions, targets: targets, offsets: offsets, sources: sources, values: values,
                  valueWidths: widths, localRow: localRow)
    }

    private init(partitions: [Int], targets: [[Int32]], offsets: [[Int]], sources: [[Int32]], values: [[Float]],
                 valueWidths: [Int], localRow: [[Int32]]) {
        self.partitions = partitions
        self.targets = targets
        self.offsets = offsets
        self.sources = sources
        self.values = values
        self.valueWidths = valueWidths
        self.localRow = localRow
    }

    /// Whether the shard holds the row of `node` in relation `relation`.
    @inlinable public func holds(relation: Int, node: Int32) -> Bool { row(relation: relation, node: node) != nil }

    /// The senders of `node` in `relation`, or nil when another partition owns it.
    public func row(relation: Int, node: Int32) -> ArraySlice<Int32>? {
        guard node >= 0, Int(node) < localRow[relation].count else { return nil }
        let k = Int(localRow[relation][Int(node)])
        guard k >= 0 else { return nil }
        return sources[relation][offsets[relation][k]..<offsets[relation][k + 1]]
    }

    /// The attribute values of `node`'s row (`valueWidths[relation]` per sender), or nil when
    /// another partition owns it.
    public func rowValues(relation: Int, node: Int32) -> ArraySlice<Float>? {
        guard node >= 0, Int(node) < localRow[relation].count else { return nil }
        let k = Int(localRow[relation][Int(node)])
        guard k >= 0 else { return nil }
        let w = valueWidths[relation]
        return values[relation][(offsets[relation][k] * w)..<(offsets[relation][k + 1] * w)]
    }

    /// Edges held, over all relations.
    public var edgeCount: Int { sources.reduce(0) { $0 + $1.count } }

    /// Bytes of adjacency held (ids and offsets), for memory reports.
    public var byteCount: Int {
        sources.reduce(0) { $0 + 4 * $1.count } + offsets.reduce(0) { $0 + 8 * $1.count }
            + targets.reduce(0) { $0 + 4 * $1.count } + localRow.reduce(0) { $0 + 4 * $1.count }
            + values.reduce(0) { $0 + 4 * $1.count }
    }
}

/// Errors of the graph layer.
public enum GraphError: Error, CustomStringConvertible, Equatable {
    case malformedShard(String)
    case notOwned(relation: Int, node: Int32)

    public var description: String {
        switch self {
        case .malformedShard(let why): return "graph shard: \(why)"
        case .notOwned(let r, let v): return "graph shard: node \(v) of relation \(r) is not held here"
        }
    }
}
