import TrellisGraph

extension Assignment {
    /// One worker's assignment from single-partition ones (a partitioned folder's files), in
    /// the order of `parts`: their adjacency rows, links and held-out links. The parts own
    /// disjoint targets, so a relation's rows are the parts' rows merged by target id;
    /// `widths` are the relations' attribute counts.
    static func merged(_ parts: [Assignment], widths: [Int], session: UInt64) -> Assignment {
        let shards = parts
        let relations = widths.count
        var targets: [[Int32]] = [], offsets: [[Int]] = [], sources: [[Int32]] = [], values: [[Float]] = []
        for r in 0..<relations {
            // (target, part, row) of every held row, by target.
            var rows: [(target: Int32, part: Int, row: Int)] = []
            for (k, s) in shards.enumerated() { for (row, t) in s.targets[r].enumerated() { rows.append((t, k, row)) } }
            rows.sort { $0.target < $1.target }
            let width = widths[r]
            var t: [Int32] = [], o = [0], src: [Int32] = [], v: [Float] = []
            t.reserveCapacity(rows.count)
            for (target, k, row) in rows {
                let s = shards[k], range = s.offsets[r][row]..<s.offsets[r][row + 1]
                t.append(target)
                src.append(contentsOf: s.sources[r][range])
                if width > 0 { v.append(contentsOf: s.values[r][(range.lowerBound * width)..<(range.upperBound * width)]) }
                o.append(src.count)
            }
            targets.append(t); offsets.append(o); sources.append(src); values.append(v)
        }
        return Assignment(
            session: session, partitions: parts.flatMap(\.partitions), targets: targets, offsets: offsets, sources: sources, values: values,
            linkUsers: parts.flatMap(\.linkUsers), linkItems: parts.flatMap(\.linkItems), linkRatings: parts.flatMap(\.linkRatings),
            validLinks: parts.flatMap(\.validLinks), testLinks: parts.flatMap(\.testLinks))
    }
}
