/// The k-hop neighbourhood of a mini-batch, as the bipartite layers a GNN consumes
/// (DGL's "message flow graphs").
///
///     layer 0 (inputs) --edges[0]--> layer 1 --edges[1]--> ... --> layer L (the seeds)
///
/// `nodes[l][t]` are the global ids of type-t nodes whose layer-l representation is needed;
/// each layer's list starts with the next layer's list (a node needs its own previous
/// representation), so the first `nodes[l+1][t].count` rows of layer l are layer l+1's nodes.
public struct SampledSubgraph: Sendable, Equatable {
    /// One relation's edges between two layers, as local indices.
    public struct Edges: Sendable, Equatable {
        /// Row in nodes[l][relation.source] of each edge's sender.
        public var sources: [Int32] = []
        /// Row in nodes[l + 1][relation.target] of each edge's receiver.
        public var targets: [Int32] = []
        /// The edges' attributes, (count, relation.attributes.count) row-major; empty for a
        /// relation without attributes.
        public var values: [Float] = []
        public init(sources: [Int32] = [], targets: [Int32] = [], values: [Float] = []) {
            self.sources = sources
            self.targets = targets
            self.values = values
        }
        public var count: Int { sources.count }
    }

    /// nodes[layer][type]: global ids, layer 0 = inputs, layer `layerCount` = seeds.
    public var nodes: [[[Int32]]]
    /// edges[layer][relation]: edges feeding layer + 1 from layer.
    public var edges: [[Edges]]

    public init(nodes: [[[Int32]]] = [], edges: [[Edges]] = []) {
        self.nodes = nodes
        self.edges = edges
    }

    public var layerCount: Int { edges.count }

    /// Layer `l` alone, as a one-layer subgraph: nodes[l] -> nodes[l + 1] over edges[l]
    /// (arrays shared, not copied).
    public func block(_ l: Int) -> SampledSubgraph {
        SampledSubgraph(nodes: [nodes[l], nodes[l + 1]], edges: [edges[l]])
    }
    /// Sampled edges over all layers and relations.
    public var edgeCount: Int { edges.reduce(0) { $0 + $1.reduce(0) { $0 + $1.count } } }
}

/// Builds `SampledSubgraph`s from seeds with per-hop, per-relation fanouts.
public struct SubgraphSampler {
    public let relations: [GraphTopology.Relation]
    public let nodeTypeCount: Int
    /// fanouts[relation][hop - 1]; hop 1 samples the seeds' neighbours. -1 takes all.
    public let fanouts: [[Int]]

    public init(relations: [GraphTopology.Relation], nodeTypeCount: Int, fanouts: [[Int]]) {
        precondition(fanouts.count == relations.count, "one fanout list per relation")
        precondition(Set(fanouts.map(\.count)).count <= 1, "every relation needs the same number of hops")
        self.relations = relations
        self.nodeTypeCount = nodeTypeCount
        self.fanouts = fanouts
    }

    /// Same fanouts for every relation.
    public init(graph: GraphTopology, fanouts: [Int]) {
        self.init(relations: graph.relations, nodeTypeCount: graph.nodeTypes.count,
                  fanouts: graph.relations.map { _ in fanouts })
    }

    public var hopCount: Int { fanouts.first?.count ?? 0 }

    /// Samples the neighbourhood of `seeds[type]` (distinct ids per type) through `source`,
    /// leaving out the edges `excluding` names.
    public func sample(seeds: [[Int32]], source: NeighbourSource, seed: UInt64, epoch: Int, step: Int,
                       excluding: EdgeExclusion? = nil) throws -> SampledSubgraph {
        precondition(seeds.count == nodeTypeCount, "seeds for \(seeds.count) of \(nodeTypeCount) node types")
        let hops = hopCount
        // Built from the seeds outwards, then reversed so layer 0 is the inputs.
        var layers: [[[Int32]]] = [seeds]
        var edgeLayers: [[SampledSubgraph.Edges]] = []
        for hop in 1...max(1, hops) where hops > 0 {
            let outer = layers.last!
            var inner = outer
            var index = outer.map(PositionIndex.init)
            var edges: [SampledSubgraph.Edges] = []
            let tag = SampleTag(seed: seed, epoch: epoch, step: step, hop: hop)
            for (r, relation) in relations.enumerated() {
                let targets = outer[relation.target], width = relation.attributes.count
                var e = SampledSubgraph.Edges()
                if !targets.isEmpty {
                    let drawn = try source.sample(relation: r, nodes: targets, fanout: fanouts[r][hop - 1], tag: tag)
                    guard drawn.values.count == drawn.neighbours.count * width else {
                        throw GraphError.malformedShard("relation \(r): \(drawn.values.count) edge values for \(drawn.neighbours.count) neighbours of \(width) attributes")
                    }
                    var k = 0
                    for (t, c) in drawn.counts.enumerated() {
                        for _ in 0..<Int(c) {
                            let u = drawn.neighbours[k]
                            k += 1
                            if let excluding, excluding.excludes(relation, source: u, target: targets[t]) { continue }
                            let local: Int32
                            if let existing = index[relation.source][u] {
                                local = existing
                            } else {
                                local = Int32(inner[relation.source].count)
                                inner[relation.source].append(u)
                                index[relation.source].insert(u, at: local)
                            }
                            e.sources.append(local)
                            e.targets.append(Int32(t))
                            for w in ((k - 1) * width)..<(k * width) { e.values.append(drawn.values[w]) }
                        }
                    }
                }
                edges.append(e)
            }
            layers.append(inner)
            edgeLayers.append(edges)
        }
        return SampledSubgraph(nodes: layers.reversed(), edges: edgeLayers.reversed())
    }

    /// Every node with every neighbour (and the edges' attributes): the graph a full-graph
    /// inference pass reads, in the same shape as a sampled one.
    public static func full(_ graph: GraphTopology, layers: Int) -> SampledSubgraph {
        let all = graph.nodeCounts.map { n in (0..<n).map { Int32($0) } }
        let edges = zip(graph.adjacency, graph.attributes).map { a, attributes -> SampledSubgraph.Edges in
            var e = SampledSubgraph.Edges()
            e.sources = a.columns
            e.values.reserveCapacity(a.nnz * attributes.count)
            for k in 0..<a.nnz { for column in attributes { e.values.append(column[k]) } }
            e.targets.reserveCapacity(a.nnz)
            for v in 0..<a.rowCount { e.targets.append(contentsOf: repeatElement(Int32(v), count: a.rowLength(v))) }
            return e
        }
        return SampledSubgraph(nodes: Array(repeating: all, count: layers + 1), edges: Array(repeating: edges, count: layers))
    }

    /// The whole graph from a shard that holds every target row of every relation (what a
    /// worker of a whole-graph model is assigned), in `full`'s shape; throws when a row is missing.
    public static func whole(_ shard: GraphShard, relations: [GraphTopology.Relation], nodeCounts: [Int],
                             layers: Int) throws -> SampledSubgraph {
        let edges = try relations.indices.map { r -> SampledSubgraph.Edges in
            let held = shard.targets[r], expected = nodeCounts[relations[r].target]
            guard held.elementsEqual((0..<expected).lazy.map { Int32($0) }) else {
                throw GraphError.malformedShard("relation \(relations[r].name): \(held.count) of \(expected) target rows held; "
                                                + "a whole-graph model needs every row, in order")
            }
            var e = SampledSubgraph.Edges()
            e.sources = shard.sources[r]
            e.values = shard.values[r]
            e.targets.reserveCapacity(e.sources.count)
            for (k, v) in shard.targets[r].enumerated() {
                e.targets.append(contentsOf: repeatElement(v, count: shard.offsets[r][k + 1] - shard.offsets[r][k]))
            }
            return e
        }
        let all = nodeCounts.map { n in (0..<n).map { Int32($0) } }
        return SampledSubgraph(nodes: Array(repeating: all, count: layers + 1), edges: Array(repeating: edges, count: layers))
    }
}

/// Node id -> its position in a layer's node list, as a dense table grown on demand (ids are
/// dense per node type): a step looks up ~10^5 sampled ids, cheaper than hashing them.
struct PositionIndex {
    private var slots: [Int32] = []

    init(_ ids: [Int32]) {
        for (k, v) in ids.enumerated() { insert(v, at: Int32(k)) }
    }

    subscript(id: Int32) -> Int32? {
        Int(id) < slots.count && slots[Int(id)] >= 0 ? slots[Int(id)] : nil
    }

    mutating func insert(_ id: Int32, at position: Int32) {
        precondition(id >= 0, "PositionIndex: negative node id \(id)")
        let i = Int(id)
        if i >= slots.count { slots.append(contentsOf: repeatElement(-1, count: Swift.max(i + 1, 2 * slots.count) - slots.count)) }
        slots[i] = position
    }
}
