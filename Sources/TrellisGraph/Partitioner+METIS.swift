import CMetis

extension Partitioner {
    /// METIS k-way (Karypis & Kumar), on the graph's nodes of every type as one undirected
    /// graph: an edge for every (source, target) pair of any relation, in both directions, once.
    /// One balance constraint per node type (a vertex weighs 1 in its type's constraint, 0 in
    /// the others), so every partition gets its share of users and of items while the edge
    /// cut is minimised. Seeded through METIS' own RNG: the same seed, the same partition.
    static func metisPartition(_ graph: GraphTopology, _ count: Int, _ seed: UInt64) -> PartitionBook {
        let counts = graph.nodeCounts
        let offsets = counts.reduce(into: [0]) { $0.append($0.last! + $1) }
        let total = offsets.last!
        guard count > 1, total > 0 else {
            return PartitionBook(partitionCount: count, owners: counts.map { [UInt16](repeating: 0, count: $0) })
        }
        // Neighbour lists: count, fill, then sort and drop repeats row by row.
        var degree = [Int](repeating: 0, count: total)
        for (r, relation) in graph.relations.enumerated() {
            let a = graph.adjacency[r]
            for v in 0..<a.rowCount {
                for u in a.row(v) {
                    degree[offsets[relation.target] + v] += 1
                    degree[offsets[relation.source] + Int(u)] += 1
                }
            }
        }
        var start = degree.reduce(into: [0]) { $0.append($0.last! + $1) }
        var neighbours = [Int32](repeating: 0, count: start.last!)
        var fill = Array(start.dropLast())
        for (r, relation) in graph.relations.enumerated() {
            let a = graph.adjacency[r]
            for v in 0..<a.rowCount {
                let t = offsets[relation.target] + v
                for u in a.row(v) {
                    let s = offsets[relation.source] + Int(u)
                    neighbours[fill[t]] = Int32(s); fill[t] += 1
                    neighbours[fill[s]] = Int32(t); fill[s] += 1
                }
            }
        }
        var xadj = [idx_t](repeating: 0, count: total + 1), adjncy: [idx_t] = []
        adjncy.reserveCapacity(neighbours.count)
        for v in 0..<total {
            var row = neighbours[start[v]..<start[v + 1]].filter { Int($0) != v }
            row.sort()
            var last: Int32 = -1
            for u in row where u != last { adjncy.append(idx_t(u)); last = u }
            xadj[v + 1] = idx_t(adjncy.count)
        }
        start = []
        var nvtxs = idx_t(total), ncon = idx_t(counts.count), nparts = idx_t(count), objval: idx_t = 0
        var vwgt = [idx_t](repeating: 0, count: total * counts.count)
        for (t, n) in counts.enumerated() { for v in 0..<n { vwgt[(offsets[t] + v) * counts.count + t] = 1 } }
        var options = [idx_t](repeating: 0, count: Int(METIS_NOPTIONS))
        METIS_SetDefaultOptions(&options)
        options[Int(METIS_OPTION_SEED.rawValue)] = idx_t(truncatingIfNeeded: seed & 0x7FFF_FFFF)
        options[Int(METIS_OPTION_NUMBERING.rawValue)] = 0
        var part = [idx_t](repeating: 0, count: total)
        let status = METIS_PartGraphKway(&nvtxs, &ncon, &xadj, &adjncy, &vwgt, nil, nil, &nparts, nil, nil, &options, &objval, &part)
        precondition(status == METIS_OK.rawValue, "METIS_PartGraphKway failed with status \(status)")
        let owners = counts.enumerated().map { t, n in (0..<n).map { UInt16(part[offsets[t] + $0]) } }
        return PartitionBook(partitionCount: count, owners: owners)
    }
}
