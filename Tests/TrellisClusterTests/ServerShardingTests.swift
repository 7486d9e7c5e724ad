import TrellisCluster
import TrellisTensor
import TrellisTraining
import TrellisWire
import XCTest

extension ClusterEngineTests {
    func testShardsSliceAndMergeRowsExactly() {
        let s = ServerSharding(count: 3)
        for rows in [0, 1, 2, 3, 10, 11] {
            XCTAssertEqual((0..<3).reduce(0) { $0 + s.rowCount(rows, shard: $1) }, rows, "\(rows) rows")
        }
        XCTAssertEqual(s.split([5, 0, 3, 7, 1]), [[1, 2], [3, 4], [0]])
        XCTAssertEqual(s.shard(of: 7), 1)
        XCTAssertEqual(s.local(7), 2)
        let whole = (0..<(7 * 2)).map(Float.init)  // 7 rows of 2
        XCTAssertEqual(s.slice(whole, width: 2, shard: 1), [2, 3, 8, 9])  // rows 1 and 4
        var back = [Float](repeating: -1, count: whole.count)
        for k in 0..<3 { s.merge(s.slice(whole, width: 2, shard: k), width: 2, shard: k, into: &back) }
        XCTAssertEqual(back, whole)
    }

    /// A trained server's state cut into shards, sent as frames, and merged into a fresh server
    /// gives back the same weights and optimizer moments; a wrong shard is refused.
    func testShardStatesRoundTripThroughFramesIntoTheWholeServer() throws {
        let engine = try EmbeddedEngine(config: config(), dataset: dataset())
        for _ in 0..<3 { try engine.trainStep() }
        let trained = engine.run.server
        let fresh = ParameterServer(store: engine.run.plan.initialParameters(), partitionCount: trained.partitionCount,
                                    training: engine.run.config.training, cluster: engine.run.config.cluster)
        fresh.restore(version: trained.version, cursors: trained.cursors, dense: OptimizerState(), rows: OptimizerState())
        let sharding = ServerSharding(count: 2)
        var limits = WireLimits()
        limits.partitionCount = trained.partitionCount
        limits.tableRows = trained.store.tables.map(\.rowCount)
        limits.tableDimensions = trained.store.tables.map(\.dimension)
        limits.denseShapes = trained.store.dense.map(\.value.shape)
        limits.shardCount = 2
        limits.sizeFromShapes()
        let states = try (0..<2).map { k -> ShardState in
            let bytes = Message.shardState(sharding.state(of: trained, shard: k)).frame().frame.encode()
            guard case .shardState(let s) = try Message.decode(Frame.decode(bytes, maxBodyBytes: 1 << 26), limits: limits) else {
                throw XCTSkip("not a shard state")
            }
            return s
        }
        XCTAssertEqual(states[1].dense, [], "dense weights live on shard 0")
        // A cut-off state is an error, never a crash.
        let bytes = Message.shardState(states[1]).frame().frame.encode()
        for n in stride(from: 0, to: bytes.count, by: 97) {
            XCTAssertThrowsError(try Message.decode(Frame.decode(Array(bytes.prefix(n)), maxBodyBytes: 1 << 26), limits: limits))
        }
        try sharding.merge(states, into: fresh)
        XCTAssertEqual(fresh.store.snapshot(), trained.store.snapshot())
        XCTAssertEqual(fresh.optimizerStates().dense, trained.optimizerStates().dense)
        XCTAssertEqual(fresh.optimizerStates().rows, trained.optimizerStates().rows)
        var wrong = states[1]
        wrong.tables[0] = Tensor(shape: [1, wrong.tables[0].shape[1]], data: Array(repeating: 0, count: wrong.tables[0].shape[1]))
        XCTAssertThrowsError(try sharding.merge([states[0], wrong], into: fresh)) { XCTAssertTrue("\($0)".contains("expected"), "\($0)") }
        XCTAssertThrowsError(try sharding.merge([states[0]], into: fresh))
    }
}
