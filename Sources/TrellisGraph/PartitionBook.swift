import Foundation

/// Which partition owns each node: the "partition book" every process holds.
///
/// Ownership decides where a node's adjacency lives (its owner answers neighbour-sampling
/// requests for it) and which partition trains the links of a user. It is small next to the
/// edges: one `UInt16` per node.
public struct PartitionBook: Sendable, Equatable {
    /// Number of partitions.
    public let partitionCount: Int
    /// owners[type][node]: the partition of each node.
    public let owners: [[UInt16]]

    public init(partitionCount: Int, owners: [[UInt16]]) {
        precondition(partitionCount >= 1 && partitionCount <= Int(UInt16.max), "partition count \(partitionCount)")
        precondition(owners.allSatisfy { $0.allSatisfy { Int($0) < partitionCount } }, "owner out of range")
        self.partitionCount = partitionCount
        self.owners = owners
    }

    /// The partition owning `node` of `type`.
    @inlinable public func owner(type: Int, node: Int32) -> Int { Int(owners[type][Int(node)]) }

    /// Nodes of `type` owned by `partition`, ascending.
    public func nodes(type: Int, partition: Int) -> [Int32] {
        var out: [Int32] = []
        for (v, p) in owners[type].enumerated() where Int(p) == partition { out.append(Int32(v)) }
        return out
    }
}

// MARK: Quality of a partitioning

/// How well a partitioning splits a graph: the fraction of edges whose endpoints live on
/// different partitions (each such edge costs a remote sampling request), and how even the
/// load is (largest partition over the mean; 1.0 is perfect).
public struct PartitionReport: Sendable, Equatable, Codable, CustomStringConvertible {
    public var method: String
    public var partitionCount: Int
    /// Edges whose endpoints have different owners, over all edges (both directions counted once each).
    public var edgeCut: Double
    /// max over partitions of nodes owned / mean, per node type.
    public var nodeBalance: [Double]
    /// max over partitions of edges stored (as adjacency rows of owned targets) / mean.
    public var edgeBalance: Double
    /// Per partition: distinct nodes of other partitions that send to its nodes (over any
    /// relation): the rows one hop of its sampling may need from elsewhere.
    public var halo: [Int]
    /// Seconds the partitioner took (set by whoever timed it; 0 when not timed).
    public var seconds = 0.0

    public var description: String {
        let nodes = nodeBalance.map { String(format: "%.3f", $0) }.joined(separator: "/")
        return String(format: "partitioning %@ into %d in %.1f s: edge cut %.1f%%, node balance %@, edge balance %.3f, largest halo %d nodes",
                      method, partitionCount, seconds, 100 * edgeCut, nodes, edgeBalance, halo.max() ?? 0)
    }

    /// Measures `book` on `graph`.
    public init(method: String, book: PartitionBook, graph: GraphTopology) {
        self.method = method
        partitionCount = book.partitionCount
        var cut = 0, total = 0
        var edgesPer = [Int](repeating: 0, count: book.partitionCount)
        var remote: [UInt64] = []   // (partition, source type, source node) of every cut edge
        for (r, relation) in graph.relations.enumerated() {
            let a = graph.adjacency[r]
            for v in 0..<a.rowCount {
                let p = book.owner(type: relation.target, node: Int32(v))
                edgesPer[p] += a.rowLength(v)
                for u in a.row(v) where book.owner(type: relation.source, node: u) != p {
                    cut += 1
                    remote.append(UInt64(p) << 40 | UInt64(relation.source) << 32 | UInt64(UInt32(u)))
                }
                total += a.rowLength(v)
            }
        }
        remote.sort()
        var halo = [Int](repeating: 0, count: book.partitionCount)
        for (k, key) in remote.enumerated() where k == 0 || remote[k - 1] != key { halo[Int(key >> 40)] += 1 }
        self.halo = halo
        edgeCut = total == 0 ? 0 : Double(cut) / Double(total)
        nodeBalance = book.owners.map { owners in
            var counts = [Int](repeating: 0, count: book.partitionCount)
            for p in owners { counts[Int(p)] += 1 }
            return Self.imbalance(counts)
        }
        edgeBalance = Self.imbalance(edgesPer)
    }

    static func imbalance(_ counts: [Int]) -> Double {
        let total = counts.reduce(0, +)
        guard total > 0 else { return 1 }
        return Double(counts.max()!) / (Double(total) / Double(counts.count))
    }
}
