import Foundation
import TrellisCore

/// What makes a neighbour sample reproducible: the run seed and the (epoch, step, hop) being
/// sampled. The sample of one node depends only on this tag, the relation and the node, not
/// on which process draws it or in what order, so a remote owner returns exactly what a local
/// draw would have.
public struct SampleTag: Sendable, Equatable, Hashable {
    public var seed: UInt64
    public var epoch: Int
    public var step: Int
    public var hop: Int
    public init(seed: UInt64, epoch: Int, step: Int, hop: Int) {
        self.seed = seed
        self.epoch = epoch
        self.step = step
        self.hop = hop
    }
}

/// Answers "up to `fanout` neighbours of each of these nodes" for one relation.
public protocol NeighbourSource {
    /// For each node of `nodes` (targets of `relation`), its sampled senders: a CSR-like pair of
    /// `counts` (nodes.count) and concatenated `neighbours`.
    func sample(relation: Int, nodes: [Int32], fanout: Int, tag: SampleTag) throws -> SampledNeighbours
}

/// Neighbour lists of a batch of nodes, concatenated.
public struct SampledNeighbours: Sendable, Equatable {
    /// Neighbours drawn for each requested node, in request order.
    public var counts: [Int32]
    /// All neighbours, node after node.
    public var neighbours: [Int32]
    /// The drawn edges' attributes (the relation's width per neighbour, in `neighbours`
    /// order; empty for a relation without attributes).
    public var values: [Float]
    public init(counts: [Int32] = [], neighbours: [Int32] = [], values: [Float] = []) {
        self.counts = counts
        self.neighbours = neighbours
        self.values = values
    }

    /// Appends one node's list.
    mutating func append(_ drawn: ArraySlice<Int32>, values drawnValues: ArraySlice<Float>) {
        counts.append(Int32(drawn.count))
        neighbours.append(contentsOf: drawn)
        values.append(contentsOf: drawnValues)
    }
}

// MARK: Drawing from one row

public enum NeighbourSampling {
    /// Appends to `out` up to `fanout` distinct entries of `row`, without replacement, kept in
    /// row order, with their `width` attribute values each from `values` (empty when width is
    /// 0); the whole row when it is no longer than `fanout` (a negative fanout means all).
    /// Floyd's algorithm: `fanout` draws whatever the row length. Returns the count drawn.
    @discardableResult
    public static func draw(_ row: ArraySlice<Int32>, values: ArraySlice<Float> = [], width: Int = 0, fanout: Int,
                            relation: Int, node: Int32, tag: SampleTag, into out: inout SampledNeighbours) -> Int {
        let n = row.count
        if fanout < 0 || n <= fanout {
            out.append(row, values: values)
            return n
        }
        var rng = SeededGenerator(seed: tag.seed, streamWords: 0x6E62, UInt64(tag.epoch), UInt64(tag.step),
                                  UInt64(tag.hop), UInt64(relation), UInt64(UInt32(bitPattern: node)))
        out.counts.append(Int32(fanout))
        // Fanouts are small: the chosen positions live in a stack buffer, searched linearly and
        // kept sorted by insertion (no set, no heap allocation per node).
        withUnsafeTemporaryAllocation(of: Int.self, capacity: fanout) { chosen in
            var count = 0
            for j in (n - fanout)..<n {
                let t = rng.nextInt(below: j + 1)
                var pick = t
                for c in 0..<count where chosen[c] == t { pick = j; break }
                var at = count
                while at > 0, chosen[at - 1] > pick { chosen[at] = chosen[at - 1]; at -= 1 }
                chosen[at] = pick
                count += 1
            }
            for c in 0..<count {
                let k = chosen[c]
                out.neighbours.append(row[row.startIndex + k])
                // Element by element: a slice per edge costs a retain and a generic append.
                let base = values.startIndex + k * width
                for w in 0..<width { out.values.append(values[base + w]) }
            }
        }
        return fanout
    }
}

// MARK: Sources

/// Samples from a shard, asking `remote` for nodes another partition owns (grouped per owner,
/// one request each). With a shard of every partition, nothing is remote.
public final class ShardedNeighbourSource: NeighbourSource {
    public let shard: GraphShard
    public let book: PartitionBook
    public let graphRelations: [GraphTopology.Relation]
    /// Asks partition `owner` for the samples of `nodes`; nil when everything is local.
    public var remote: ((_ owner: Int, _ relation: Int, _ nodes: [Int32], _ fanout: Int, _ tag: SampleTag) throws -> SampledNeighbours)?
    /// Nodes sampled locally and remotely so far (for reports). A worker samples its batches
    /// on a prefetch thread while its main thread answers other workers, hence the lock.
    public var localRequests: Int { counts.lock(); defer { counts.unlock() }; return local }
    public var remoteRequests: Int { counts.lock(); defer { counts.unlock() }; return remoteCount }
    private var local = 0, remoteCount = 0
    private let counts = NSLock()

    private func count(local l: Int, remote r: Int) {
        counts.lock()
        local += l
        remoteCount += r
        counts.unlock()
    }

    public init(shard: GraphShard, book: PartitionBook, relations: [GraphTopology.Relation]) {
        self.shard = shard
        self.book = book
        self.graphRelations = relations
    }

    /// Samples held rows only; throws for a node this shard does not hold (the owner's side of
    /// a remote request).
    public func sampleLocal(relation: Int, nodes: [Int32], fanout: Int, tag: SampleTag) throws -> SampledNeighbours {
        var out = SampledNeighbours()
        out.counts.reserveCapacity(nodes.count)
        for v in nodes {
            guard let row = shard.row(relation: relation, node: v) else { throw GraphError.notOwned(relation: relation, node: v) }
            draw(row, of: v, relation: relation, fanout: fanout, tag: tag, into: &out)
        }
        count(local: nodes.count, remote: 0)
        return out
    }

    public func sample(relation: Int, nodes: [Int32], fanout: Int, tag: SampleTag) throws -> SampledNeighbours {
        let type = graphRelations[relation].target
        var byOwner: [Int: [Int]] = [:]   // owner -> positions in `nodes`
        for (k, v) in nodes.enumerated() where !shard.holds(relation: relation, node: v) {
            byOwner[book.owner(type: type, node: v), default: []].append(k)
        }
        if byOwner.isEmpty { return try sampleLocal(relation: relation, nodes: nodes, fanout: fanout, tag: tag) }
        guard let remote else { throw GraphError.notOwned(relation: relation, node: nodes[byOwner.first!.value[0]]) }
        // Per node results, then concatenated in request order.
        let width = shard.valueWidths[relation]
        var lists = [(neighbours: ArraySlice<Int32>, values: ArraySlice<Float>)?](repeating: nil, count: nodes.count)
        for owner in byOwner.keys.sorted() {
            let positions = byOwner[owner]!
            let answer = try remote(owner, relation, positions.map { nodes[$0] }, fanout, tag)
            guard answer.counts.count == positions.count,
                  answer.counts.reduce(0, { $0 + Int($1) }) == answer.neighbours.count else {
                throw GraphError.malformedShard("partition \(owner) answered \(answer.counts.count) lists for \(positions.count) nodes")
            }
            let sourceCount = book.owners[graphRelations[relation].source].count
            guard answer.counts.allSatisfy({ $0 >= 0 }), answer.neighbours.allSatisfy({ $0 >= 0 && Int($0) < sourceCount }) else {
                throw GraphError.malformedShard("partition \(owner) answered a neighbour outside 0..<\(sourceCount)")
            }
            guard answer.values.count == answer.neighbours.count * width, answer.values.allSatisfy(\.isFinite) else {
                throw GraphError.malformedShard("partition \(owner) answered \(answer.values.count) edge values for "
                                                + "\(answer.neighbours.count) neighbours of \(width) finite attributes")
            }
            var start = 0
            for (k, c) in zip(positions, answer.counts) {
                let end = start + Int(c)
                lists[k] = (answer.neighbours[start..<end], answer.values[(start * width)..<(end * width)])
                start = end
            }
            count(local: 0, remote: positions.count)
        }
        var out = SampledNeighbours()
        count(local: lists.lazy.filter { $0 == nil }.count, remote: 0)
        for (k, v) in nodes.enumerated() {
            if let list = lists[k] {
                out.append(list.neighbours, values: list.values)
            } else {
                draw(shard.row(relation: relation, node: v)!, of: v, relation: relation, fanout: fanout, tag: tag, into: &out)
            }
        }
        return out
    }

    /// Draws from the held row of `node`, with its edges' attribute values.
    private func draw(_ row: ArraySlice<Int32>, of node: Int32, relation: Int, fanout: Int, tag: SampleTag,
                      into out: inout SampledNeighbours) {
        NeighbourSampling.draw(row, values: shard.rowValues(relation: relation, node: node)!, width: shard.valueWidths[relation],
                               fanout: fanout, relation: relation, node: node, tag: tag, into: &out)
    }
}

/// The whole graph as a source (what the process that holds it, the coordinator or a
/// one-process run, reads for inference): every row is local.
extension GraphTopology: NeighbourSource {
    public func sample(relation: Int, nodes: [Int32], fanout: Int, tag: SampleTag) throws -> SampledNeighbours {
        let a = adjacency[relation], columns = attributes[relation]
        var out = SampledNeighbours()
        out.counts.reserveCapacity(nodes.count)
        for v in nodes {
            guard v >= 0, Int(v) < a.rowCount else { throw GraphError.notOwned(relation: relation, node: v) }
            // The row's attribute values, edge after edge (the shards' layout).
            let edges = a.offsets[Int(v)]..<a.offsets[Int(v) + 1]
            let values = columns.isEmpty ? [] : edges.flatMap { k in columns.map { $0[k] } }
            NeighbourSampling.draw(a.row(Int(v)), values: values[...], width: columns.count, fanout: fanout,
                                   relation: relation, node: v, tag: tag, into: &out)
        }
        return out
    }
}
