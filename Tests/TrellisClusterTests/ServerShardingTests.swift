@testable import TrellisCluster
import TrellisCore
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
                                    training: engine.run.config.training, cluster: engine.run.config.cluster,
                                    stepsPerEpoch: engine.run.stepsPerEpoch)
        try fresh.restore(version: trained.version, cursors: trained.cursors, dense: OptimizerState(), rows: OptimizerState())
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
                throw ShardError("shard \(k): the frame decoded as another message")
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

    /// A moment buffer cut to half of each row (a consistent half width on every shard) is
    /// refused: the width is the table's dimension, never inferred from the buffer.
    func testMergeRefusesMomentBuffersOfTheWrongWidth() throws {
        let engine = try EmbeddedEngine(config: config(), dataset: dataset())
        for _ in 0..<2 { try engine.trainStep() }
        let trained = engine.run.server
        let sharding = ServerSharding(count: 2)
        let states = (0..<2).map { sharding.state(of: trained, shard: $0) }
        let key = try XCTUnwrap(states[0].rowOptimizer.buffers.keys.sorted().first { $0.hasPrefix("m/") })
        let dimension = try XCTUnwrap(trained.store.tables.first { "m/\($0.name)" == key }).dimension
        var short = states
        for k in 0..<2 {
            let whole = short[k].rowOptimizer.buffers[key]!
            short[k].rowOptimizer.buffers[key] = Array(whole.prefix(whole.count / dimension * (dimension / 2)))
        }
        XCTAssertThrowsError(try sharding.merge(short, into: trained)) { XCTAssertTrue("\($0)".contains(key), "\($0)") }
        var unknown = states
        unknown[1].rowOptimizer.buffers["m/no.such.table"] = [1, 2, 3]
        XCTAssertThrowsError(try sharding.merge(unknown, into: trained)) { XCTAssertTrue("\($0)".contains("no.such.table"), "\($0)") }
        // Nothing was changed by the refusals: the good states still merge into the same numbers.
        let before = trained.optimizerStates().rows
        try sharding.merge(states, into: trained)
        XCTAssertEqual(trained.optimizerStates().rows, before)
    }

    /// What a shard's welcome and a checkpoint go through: a restored state that does not fit
    /// the server's tables is refused before anything changes.
    func testParameterServerRestoreRefusesAStateThatDoesNotFit() throws {
        let engine = try EmbeddedEngine(config: config(), dataset: dataset())
        for _ in 0..<2 { try engine.trainStep() }
        let server = engine.run.server
        let (dense, rows) = server.optimizerStates()
        let key = try XCTUnwrap(rows.buffers.keys.sorted().first)
        var short = rows
        short.buffers[key] = Array(rows.buffers[key]!.dropLast())
        XCTAssertThrowsError(try server.restore(version: 0, cursors: server.cursors.map { _ in 0 }, dense: dense, rows: short)) {
            XCTAssert("\($0)".contains(key) && "\($0)".contains("table optimizer"), "\($0)")
        }
        XCTAssertThrowsError(try server.restore(version: 0, cursors: [0], dense: dense, rows: rows))
        XCTAssertEqual(server.version, 2, "a refused restore changes nothing")
        XCTAssertEqual(server.optimizerStates().rows, rows)
    }
}

/// How the server adds the partitions' row gradients of one table.
final class RowGradientSumTests: XCTestCase {
    /// Parts over the same rows (a full softmax) are added in place: the same values as
    /// coalescing their concatenation, in partition order; parts over other rows are
    /// concatenated for coalescing as before.
    func testPartsOverTheSameRowsAddToTheirCoalescedConcatenation() {
        var rng = SeededGenerator(seed: 9)
        let rows: [Int32] = Array(0..<50)
        let parts = (0..<3).map { _ in RowGradient(dimension: 4, rowIDs: rows, values: (0..<200).map { _ in Float(rng.nextNormal()) }) }
        var concatenated = RowGradient(dimension: 4)
        for p in parts { concatenated.add(rowIDs: p.rowIDs, values: p.values) }
        let summed = ParameterServer.sum(parts, dimension: 4)
        XCTAssertEqual(summed.rowIDs, rows)
        XCTAssertEqual(summed, concatenated.coalesced())
        let other = [parts[0], RowGradient(dimension: 4, rowIDs: [3, 1], values: Array(repeating: 1, count: 8))]
        XCTAssertEqual(ParameterServer.sum(other, dimension: 4).rowIDs, rows + [3, 1], "other rows: concatenated, coalesced later")
        XCTAssertEqual(ParameterServer.sum([parts[1]], dimension: 4), parts[1])
        XCTAssert(ParameterServer.sum([], dimension: 4).isEmpty)
    }
}
