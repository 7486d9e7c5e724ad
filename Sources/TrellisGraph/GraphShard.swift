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
    /// For each relation, global target id -> row in this shard (-1 when not held). Sized by the
    /// node count of the target type: 4 bytes a node, small next to the edges.
    private let localRow: [[Int32]]

    /// Cuts the rows of `partitions` out of the whole `graph` (done by whoever holds the whole
    /// graph: the coordinator, or a one-process run).
    public init(graph: GraphTopology, book: PartitionBook, partitions: [Int]) {
        let owned = Set(partitions)
        var targets: [[Int32]] = [], offsets: [[Int]] = [], sources: [[Int32]] = [], localRow: [[Int32]] = []
        for (r, relation) in graph.relations.enumerated() {
            let a = graph.adjacency[r]
            var t: [Int32] = [], o = [0], s: [Int32] = []
            var local = [Int32](repeating: -1, count: a.rowCount)
            for v in 0..<a.rowCount where owned.contains(book.owner(type: relation.target, node: Int32(v))) {
                local[v] = Int32(t.count)
                t.append(Int32(v))
                s.append(contentsOf: a.row(v))
                o.append(s.count)
            }
            targets.append(t); offsets.append(o); sources.append(s); localRow.append(local)
        }
        self.init(partitions: partitions, targets: targets, offsets: offsets, sources: sources, localRow: localRow)
    }

    /// A shard from its parts (as decoded from the wire); checks every index.
    public init(partitions: [Int], targets: [[Int32]], offsets: [[Int]], sources: [[Int32]], nodeCounts: [Int]) throws {
        guard targets.count == offsets.count, targets.count == sources.count, nodeCounts.count == targets.count else {
            throw GraphError.malformedShard("relation counts differ")
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
        self.init(partitions: partitions, targets: targets, offsets: offsets, sources: sources, localRow: localRow)
    }

    private init(partitions: [Int], targets: [[Int32]], offsets: [[Int]], sources: [[Int32]], localRow: [[Int32]]) {
        self.partitions = partitions
        self.targets = targets
        self.offsets = offsets
        self.sources = sources
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

    /// Edges held, over all relations.
    public var edgeCount: Int { sources.reduce(0) { $0 + $1.count } }

    /// Bytes of adjacency held (ids and offsets), for memory reports.
    public var byteCount: Int {
        sources.reduce(0) { $0 + 4 * $1.count } + offsets.reduce(0) { $0 + 8 * $1.count }
            + targets.reduce(0) { $0 + 4 * $1.count } + localRow.reduce(0) { $0 + 4 * $1.count }
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
