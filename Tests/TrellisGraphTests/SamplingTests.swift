import TrellisCore
import TrellisData
import TrellisGraph
import XCTest

final class SamplingTests: XCTestCase {
    /// 40 users x 30 items, each user with 6 items.
    func graph() -> GraphTopology {
        var users: [Int32] = [], items: [Int32] = []
        for u in 0..<40 { for k in 0..<6 { users.append(Int32(u)); items.append(Int32((u * 7 + k * 5) % 30)) } }
        let csr = CSRMatrix(rowCount: 40, columnCount: 30, rows: users, columns: items, values: nil, sortRows: true).removingDuplicateColumns()
        return GraphTopology.userItem(csr)
    }

    func testDrawIsWithoutReplacementAndTakesAllWhenShort() {
        let row: ArraySlice<Int32> = [3, 8, 9, 12, 20, 21, 30]
        let values = ArraySlice(row.map { Float($0) / 10 })
        let tag = SampleTag(seed: 1, epoch: 1, step: 0, hop: 1)
        var out = SampledNeighbours()
        XCTAssertEqual(NeighbourSampling.draw(row, values: values, width: 1, fanout: 4, relation: 0, node: 5, tag: tag, into: &out), 4)
        XCTAssertEqual(out.counts, [4])
        XCTAssertEqual(Set(out.neighbours).count, 4)
        XCTAssert(out.neighbours.allSatisfy { row.contains($0) })
        XCTAssertEqual(out.neighbours, out.neighbours.sorted(), "kept in row order")
        XCTAssertEqual(out.values, out.neighbours.map { Float($0) / 10 }, "each neighbour with its edge's value")
        var again = SampledNeighbours()
        NeighbourSampling.draw(row, values: values, width: 1, fanout: 4, relation: 0, node: 5, tag: tag, into: &again)
        XCTAssertEqual(out, again, "seeded")
        var all = SampledNeighbours()
        XCTAssertEqual(NeighbourSampling.draw(row, fanout: 10, relation: 0, node: 5, tag: tag, into: &all), 7)
        XCTAssertEqual(all.neighbours, Array(row))
        XCTAssertEqual(all.values, [], "no values for a relation without attributes")
    }

    func testEveryNeighbourIsEquallyLikely() {
        let row = ArraySlice((0..<10).map(Int32.init))
        var counts = [Int](repeating: 0, count: 10)
        for step in 0..<5000 {
            var out = SampledNeighbours()
            NeighbourSampling.draw(row, fanout: 3, relation: 0, node: 0, tag: SampleTag(seed: 9, epoch: 1, step: step, hop: 1), into: &out)
            for v in out.neighbours { counts[Int(v)] += 1 }
        }
        for c in counts { XCTAssertEqual(Double(c), 1500, accuracy: 150) }
    }

    func testShardedSamplingAsksOwnersAndMatchesTheWholeGraph() throws {
        let g = graph()
        let book = Partitioner.hash.partition(g, into: 3, seed: 4)
        let whole = ShardedNeighbourSource(shard: GraphShard(graph: g, book: book, partitions: [0, 1, 2]), book: book, relations: g.relations)
        let owners = (0..<3).map { ShardedNeighbourSource(shard: GraphShard(graph: g, book: book, partitions: [$0]), book: book, relations: g.relations) }
        var asked = Set<Int>()
        for o in owners {
            o.remote = { owner, relation, nodes, fanout, tag in
                asked.insert(owner)
                return try owners[owner].sampleLocal(relation: relation, nodes: nodes, fanout: fanout, tag: tag)
            }
        }
        let sampler = SubgraphSampler(graph: g, fanouts: [3, 2])
        let seeds: [[Int32]] = [[0, 5, 17, 33], [2, 11, 29]]
        let reference = try sampler.sample(seeds: seeds, source: whole, seed: 5, epoch: 2, step: 3)
        let fromShard = try sampler.sample(seeds: seeds, source: owners[0], seed: 5, epoch: 2, step: 3)
        XCTAssertEqual(reference, fromShard)
        XCTAssertFalse(asked.isEmpty, "some nodes live on other partitions")
        XCTAssertGreaterThan(owners[0].remoteRequests, 0)
        // Shard memory: only owned rows.
        XCTAssertLessThan(owners[0].shard.edgeCount, g.edgeCount)
    }

    /// The rated graph: every edge carries its rating; remote owners send it with the sample,
    /// and an excluded (user, item) pair is in no relation of the subgraph.
    func testRatedSamplingCarriesEachEdgesRatingAndLeavesOutExcludedEdges() throws {
        let users: [Int32] = (0..<240).map { k in Int32(k / 6) }
        let items: [Int32] = (0..<240).map { k -> Int32 in
            let u: Int = k / 6, j: Int = k % 6
            return Int32((u * 7 + j * 5) % 30)
        }
        let ratings: [Float] = (0..<240).map { k in Float(1 + k % 5) }
        var rating: [String: Float] = [:]
        for k in 0..<240 { rating["\(users[k])-\(items[k])"] = ratings[k] }
        let g = try GraphTopology.userItem(users: users, items: items, ratings: ratings, userCount: 40, itemCount: 30)
        let book = Partitioner.hash.partition(g, into: 2, seed: 4)
        let owners = (0..<2).map { ShardedNeighbourSource(shard: GraphShard(graph: g, book: book, partitions: [$0]), book: book, relations: g.relations) }
        owners[0].remote = { owner, relation, nodes, fanout, tag in
            try owners[owner].sampleLocal(relation: relation, nodes: nodes, fanout: fanout, tag: tag)
        }
        let excluded = EdgeExclusion(first: GraphTopology.user, second: GraphTopology.item, firstIDs: [0, 5], secondIDs: [items[0], items[30]])
        let s = try SubgraphSampler(graph: g, fanouts: [4, 3]).sample(seeds: [[0, 5, 17], [items[0], 11]], source: owners[0],
                                                                      seed: 5, epoch: 1, step: 2, excluding: excluded)
        XCTAssertGreaterThan(owners[0].remoteRequests, 0)
        var edges = 0
        for l in 0..<2 {
            for (r, rel) in g.relations.enumerated() {
                let e = s.edges[l][r]
                XCTAssertEqual(e.values.count, e.count, "one rating per edge")
                for k in 0..<e.count {
                    let target = s.nodes[l + 1][rel.target][Int(e.targets[k])], source = s.nodes[l][rel.source][Int(e.sources[k])]
                    let (u, i) = rel.target == GraphTopology.user ? (target, source) : (source, target)
                    XCTAssertEqual(e.values[k], rating["\(u)-\(i)"], "edge \(u)-\(i) carries its rating")
                    XCTAssertFalse(excluded.excludes(rel, source: source, target: target), "edge \(u)-\(i) is supervised")
                    edges += 1
                }
            }
        }
        XCTAssertGreaterThan(edges, 0)
        let full = SubgraphSampler.full(g, layers: 1)
        XCTAssertEqual(full.edges[0][0].values, g.attributes[0][0])
    }

    func testSubgraphLayersNestAndEdgesPointInside() throws {
        let g = graph()
        let book = Partitioner.greedy.partition(g, into: 1, seed: 1)
        let source = ShardedNeighbourSource(shard: GraphShard(graph: g, book: book, partitions: [0]), book: book, relations: g.relations)
        let s = try SubgraphSampler(graph: g, fanouts: [4, 4]).sample(seeds: [[1, 2], [3]], source: source, seed: 1, epoch: 1, step: 0)
        XCTAssertEqual(s.layerCount, 2)
        XCTAssertEqual(s.nodes[2], [[1, 2], [3]])
        for l in 0..<2 {
            for t in 0..<2 { XCTAssertEqual(Array(s.nodes[l][t].prefix(s.nodes[l + 1][t].count)), s.nodes[l + 1][t]) }
            for (r, rel) in g.relations.enumerated() {
                let e = s.edges[l][r]
                for k in 0..<e.count {
                    let target = s.nodes[l + 1][rel.target][Int(e.targets[k])], source = s.nodes[l][rel.source][Int(e.sources[k])]
                    XCTAssert(g.adjacency[r].row(Int(target)).contains(source), "edge \(source)->\(target) is in the graph")
                }
                // Each target gets min(fanout, degree) neighbours.
                var perTarget = [Int](repeating: 0, count: s.nodes[l + 1][rel.target].count)
                for t in e.targets { perTarget[Int(t)] += 1 }
                for (k, c) in perTarget.enumerated() {
                    XCTAssertEqual(c, min(4, g.adjacency[r].rowLength(Int(s.nodes[l + 1][rel.target][k]))))
                }
            }
        }
    }

    func testGreedyPartitioningCutsFewerEdgesThanHashAndStaysBalanced() {
        // Two communities joined by one edge.
        var users: [Int32] = [], items: [Int32] = []
        for u in 0..<40 { for k in 0..<5 { users.append(Int32(u)); items.append(Int32((u < 20 ? 0 : 20) + (u + k * 3) % 20)) } }
        let g = GraphTopology.userItem(CSRMatrix(rowCount: 40, columnCount: 40, rows: users, columns: items, values: nil, sortRows: true).removingDuplicateColumns())
        let greedy = PartitionReport(method: "greedy", book: Partitioner.greedy.partition(g, into: 2, seed: 3), graph: g)
        let hash = PartitionReport(method: "hash", book: Partitioner.hash.partition(g, into: 2, seed: 3), graph: g)
        XCTAssertLessThan(greedy.edgeCut, hash.edgeCut)
        XCTAssertLessThan(greedy.edgeCut, 0.2)
        for b in greedy.nodeBalance { XCTAssertLessThanOrEqual(b, 1.1) }
    }

    func testLinkBatchesCoverEveryLinkOncePerEpochWithValidNegatives() {
        let g = graph()
        let a = g.adjacency[0]
        var users: [Int32] = [], items: [Int32] = []
        for u in 0..<a.rowCount { for i in a.row(u) { users.append(Int32(u)); items.append(i) } }
        let sampler = LinkBatchSampler(partition: 0, users: users, items: items, itemCount: 30, stepsPerEpoch: 7, negatives: 2, seed: 3,
                                       knownItems: { a.row(Int($0)) })
        var seen: [String: Int] = [:]
        for step in 0..<7 {
            let b = sampler.batch(epoch: 1, step: step)
            XCTAssertEqual(b.count, sampler.count(step: step))
            for k in 0..<b.count {
                seen["\(b.users[k])-\(b.positives[k])", default: 0] += 1
                XCTAssertFalse(a.row(Int(b.users[k])).contains(b.negatives[k]), "negative is not a known item")
            }
        }
        XCTAssertEqual(seen.count, users.count)
        XCTAssert(seen.values.allSatisfy { $0 == 2 }, "each link once per negative")
        XCTAssertEqual(sampler.batch(epoch: 2, step: 1), sampler.batch(epoch: 2, step: 1))
        XCTAssertNotEqual(sampler.batch(epoch: 2, step: 1), sampler.batch(epoch: 3, step: 1))
    }

    /// With groups, an epoch's order is still every example once, but in runs of one group:
    /// 12 groups of 10 examples in runs of 5 and steps of 20 give each step exactly 4 runs,
    /// so at most 4 groups, each with a multiple of 5 examples (a plain shuffle gives ~9).
    func testGroupedEpochOrderTakesEachGroupInRuns() {
        let groups = (0..<120).map { Int32(($0 * 7) % 12) }      // interleaved: 12 groups of 10
        let order = EpochOrder(count: 120, partition: 1, stepsPerEpoch: 6, seed: 5, groups: groups, run: 5)
        for epoch in 1...3 {
            XCTAssertEqual(order.order(epoch: epoch).sorted(), (0..<120).map { Int32($0) }, "every example once")
            for step in 0..<6 {
                var perGroup: [Int32: Int] = [:]
                for k in order.step(step, epoch: epoch) { perGroup[groups[Int(k)], default: 0] += 1 }
                XCTAssertLessThanOrEqual(perGroup.count, 4, "epoch \(epoch) step \(step): \(perGroup)")
                XCTAssert(perGroup.values.allSatisfy { $0 % 5 == 0 }, "epoch \(epoch) step \(step): \(perGroup)")
            }
        }
        let again = EpochOrder(count: 120, partition: 1, stepsPerEpoch: 6, seed: 5, groups: groups, run: 5)
        XCTAssertEqual(again.order(epoch: 2), order.order(epoch: 2))
        XCTAssertNotEqual(order.order(epoch: 2), order.order(epoch: 3))
        // The link sampler passes its users as the groups.
        let sampler = LinkBatchSampler(partition: 0, users: groups, items: (0..<120).map { Int32($0) }, itemCount: 200,
                                       stepsPerEpoch: 6, negatives: 1, seed: 5, linksPerUser: 5, knownItems: { _ in [] })
        for step in 0..<6 { XCTAssertLessThanOrEqual(Set(sampler.batch(epoch: 1, step: step).users).count, 4) }
    }

    /// The draw is Floyd's algorithm: the same positions as the textbook form with a set, for
    /// any row length and fanout, and its generator is the one `init(seed:stream:)` gives.
    func testDrawIsFloydsAlgorithm() {
        let tag = SampleTag(seed: 9, epoch: 2, step: 3, hop: 1)
        for (n, fanout, node) in [(50, 10, Int32(7)), (11, 10, 3), (300, 1, 0), (12, 5, 99)] {
            let row = (0..<n).map { Int32($0 * 2) }
            var out = SampledNeighbours()
            NeighbourSampling.draw(row[...], fanout: fanout, relation: 4, node: node, tag: tag, into: &out)
            var rng = SeededGenerator(seed: 9, stream: [0x6E62, 2, 3, 1, 4, UInt64(node)])
            XCTAssertEqual(rng, SeededGenerator(seed: 9, streamWords: 0x6E62, 2, 3, 1, 4, UInt64(node)))
            var chosen = Set<Int>()
            for j in (n - fanout)..<n {
                let t = rng.nextInt(below: j + 1)
                chosen.insert(chosen.contains(t) ? j : t)
            }
            XCTAssertEqual(out.neighbours, chosen.sorted().map { row[$0] }, "row of \(n), fanout \(fanout)")
            XCTAssertEqual(out.counts, [Int32(fanout)])
        }
    }
}
