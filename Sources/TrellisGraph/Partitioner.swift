import TrellisCore

/// Splits the nodes of a graph into partitions.
///
/// - `hash`: each node goes to a partition picked by a hash of (type, id): perfectly even on
///   average, blind to structure (the edge cut is about 1 - 1/P).
/// - `greedy` (linear deterministic greedy, Stanton & Kliot 2012): nodes are streamed in
///   breadth-first order and each goes to the partition holding most of its already placed
///   neighbours, damped by how full that partition is, so neighbourhoods stay together while
///   every partition stays within `capacity` nodes of each type.
/// - `metis`: METIS k-way with one balance constraint per node type (`Partitioner+METIS.swift`).
public enum Partitioner: String, Sendable, CaseIterable {
    case hash
    case greedy
    case metis

    /// Partitions `graph` into `count` parts; deterministic for a given `seed`.
    public func partition(_ graph: GraphTopology, into count: Int, seed: UInt64) -> PartitionBook {
        precondition(count >= 1, "partition count must be at least 1")
        switch self {
        case .hash: return Self.hashPartition(graph, count, seed)
        case .greedy: return Self.greedyPartition(graph, count, seed)
        case .metis: return Self.metisPartition(graph, count, seed)
        }
    }

    static func hashPartition(_ graph: GraphTopology, _ count: Int, _ seed: UInt64) -> PartitionBook {
        let owners = graph.nodeCounts.enumerated().map { type, n in
            (0..<n).map { v -> UInt16 in
                var g = SeededGenerator(seed: seed, stream: [0x7061_7274, UInt64(type), UInt64(v)])  // "part"
                return UInt16(g.next() % UInt64(count))
            }
        }
        return PartitionBook(partitionCount: count, owners: owners)
    }

    static func greedyPartition(_ graph: GraphTopology, _ count: Int, _ seed: UInt64) -> PartitionBook {
        let unassigned = UInt16.max
        var owners = graph.nodeCounts.map { [UInt16](repeating: unassigned, count: $0) }
        // Each type is balanced on its own: capacity per partition, with 5% slack.
        let capacity = graph.nodeCounts.map { Double($0) / Double(count) * 1.05 + 1 }
        var sizes = graph.nodeCounts.map { _ in [Int](repeating: 0, count: count) }
        // Neighbours of (type, v) over every relation, both directions.
        let reverse = graph.adjacency.map { $0.transposed() }
        func forEachNeighbour(_ type: Int, _ v: Int32, _ body: (Int, Int32) -> Void) {
            for (r, rel) in graph.relations.enumerated() {
                if rel.target == type { for u in graph.adjacency[r].row(Int(v)) { body(rel.source, u) } }
                if rel.source == type { for u in reverse[r].row(Int(v)) { body(rel.target, u) } }
            }
        }
        // Breadth-first order from nodes visited in a seeded order, so components stay together.
        var starts: [(Int, Int32)] = []
        for (t, n) in graph.nodeCounts.enumerated() { for v in 0..<n { starts.append((t, Int32(v))) } }
        var rng = SeededGenerator(seed: seed, stream: [0x6C64_67])  // "ldg"
        rng.shuffle(&starts)
        var queued = graph.nodeCounts.map { [Bool](repeating: false, count: $0) }
        var queue: [(Int, Int32)] = []
        var scores = [Double](repeating: 0, count: count)
        for start in starts where !queued[start.0][Int(start.1)] {
            queued[start.0][Int(start.1)] = true
            queue.append(start)
            var head = queue.count - 1
            while head < queue.count {
                let (t, v) = queue[head]
                head += 1
                for p in 0..<count { scores[p] = 0 }
                forEachNeighbour(t, v) { nt, u in
                    let o = owners[nt][Int(u)]
                    if o != unassigned { scores[Int(o)] += 1 }
                    if !queued[nt][Int(u)] { queued[nt][Int(u)] = true; queue.append((nt, u)) }
                }
                var best = -1, bestScore = -Double.infinity
                for p in 0..<count where Double(sizes[t][p]) < capacity[t] {
                    // Ties go to the emptier partition, then the lower index.
                    let s = scores[p] * (1 - Double(sizes[t][p]) / capacity[t]) - 1e-9 * Double(sizes[t][p])
                    if s > bestScore { best = p; bestScore = s }
                }
                if best < 0 { best = sizes[t].indices.min { sizes[t][$0] < sizes[t][$1] }! }
                owners[t][Int(v)] = UInt16(best)
                sizes[t][best] += 1
            }
            queue.removeAll(keepingCapacity: true)
        }
        return PartitionBook(partitionCount: count, owners: owners)
    }
}
