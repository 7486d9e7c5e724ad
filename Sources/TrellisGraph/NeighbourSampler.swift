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
    public init(counts: [Int32] = [], neighbours: [Int32] = []) {
        self.counts = counts
        self.neighbours = neighbours
    }
}

// MARK: Drawing from one row

public enum NeighbourSampling {
    /// Up to `fanout` distinct entries of `row`, without replacement, kept in row order; the
    /// whole row when it is no longer than `fanout` (a negative fanout means all).
    /// Floyd's algorithm: `fanout` draws whatever the row length.
    public static func draw(_ row: ArraySlice<Int32>, fanout: Int, relation: Int, node: Int32, tag: SampleTag,
                            into out: inout [Int32]) -> Int {
        let n = row.count
        if fanout < 0 || n <= fanout {
            out.append(contentsOf: row)
            return n
        }
        var rng = SeededGenerator(seed: tag.seed, stream: [0x6E62, UInt64(tag.epoch), UInt64(tag.step),
                                                           UInt64(tag.hop), UInt64(relation), UInt64(UInt32(bitPattern: node))])
        var chosen = Set<Int>(minimumCapacity: fanout)
        for j in (n - fanout)..<n {
            let t = rng.nextInt(below: j + 1)
            chosen.insert(chosen.contains(t) ? j : t)
        }
        let base = row.startIndex
        for k in chosen.sorted() { out.append(row[base + k]) }
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
            out.counts.append(Int32(NeighbourSampling.draw(row, fanout: fanout, relation: relation, node: v, tag: tag, into: &out.neighbours)))
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
        var lists = [ArraySlice<Int32>](repeating: [], count: nodes.count)
        var isRemote = [Bool](repeating: false, count: nodes.count)
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
            var start = 0
            for (k, c) in zip(positions, answer.counts) {
                lists[k] = answer.neighbours[start..<(start + Int(c))]
                isRemote[k] = true
                start += Int(c)
            }
            count(local: 0, remote: positions.count)
        }
        var out = SampledNeighbours()
        count(local: isRemote.lazy.filter { !$0 }.count, remote: 0)
        for (k, v) in nodes.enumerated() {
            if isRemote[k] {
                out.counts.append(Int32(lists[k].count))
                out.neighbours.append(contentsOf: lists[k])
            } else {
                let row = shard.row(relation: relation, node: v)!
                out.counts.append(Int32(NeighbourSampling.draw(row, fanout: fanout, relation: relation, node: v, tag: tag, into: &out.neighbours)))
            }
        }
        return out
    }
}

/// The whole graph as a source (what the process that holds it, the coordinator or a
/// one-process run, reads for inference): every row is local.
extension GraphTopology: NeighbourSource {
    public func sample(relation: Int, nodes: [Int32], fanout: Int, tag: SampleTag) throws -> SampledNeighbours {
        let a = adjacency[relation]
        var out = SampledNeighbours()
        out.counts.reserveCapacity(nodes.count)
        for v in nodes {
            guard v >= 0, Int(v) < a.rowCount else { throw GraphError.notOwned(relation: relation, node: v) }
            let n = NeighbourSampling.draw(a.row(Int(v)), fanout: fanout, relation: relation, node: v, tag: tag, into: &out.neighbours)
            out.counts.append(Int32(n))
        }
        return out
    }
}
