import Foundation
import Logging
import TestSupport
import TrellisCluster
import TrellisData
import TrellisTraining
import XCTest

/// LightGCN, the whole-graph model, through the one engine: it learns (against its untrained
/// self and the popularity baseline), runs are bit-identical, and a run checkpointed and
/// resumed in a fresh engine ends exactly where the uninterrupted one does.
extension ClusterEngineTests {
    func lightGCN(partitions: Int = 1, epochs: Int = 12) -> TrainingConfig {
        var c = config("lightgcn", partitions: partitions)
        c.training.epochs = epochs
        return c
    }

    func testLightGCNLearnsOnTheWholeGraph() throws {
        let data = dataset()
        for partitions in [1, 2] {
            let engine = try assertLearns(lightGCN(partitions: partitions), on: data, "\(partitions) partitions")
            XCTAssertNotNil(engine.stepper.whole, "the step reads the whole graph")
            let trained = engine.run.summary().test["ndcg@10"]!
            XCTAssertGreaterThan(trained, data.popularityBaseline(ks: [10])["ndcg@10"]! + 0.05, "beats popularity")
        }
    }

    func testLightGCNRunsAreBitIdenticalAndFollowTheirSettings() throws {
        let data = dataset()
        let a = try trace(lightGCN(), data), b = try trace(lightGCN(), data)
        XCTAssertEqual(a, b, "same weights, losses and metrics")
        var deeper = lightGCN()
        deeper.model.layers = 3
        XCTAssertNotEqual(try trace(deeper, data).weights, a.weights, "the layer count reaches the propagation")
    }

    func testLightGCNResumedFromACheckpointEndsWhereTheUninterruptedRunDoes() throws {
        let data = dataset()
        let reference = try trace(lightGCN(epochs: 6), data)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-lgcn-\(UUID().uuidString)").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        let logger = Logger(label: "test")

        // Two epochs and three steps into the third, then the process "dies".
        let first = try EmbeddedEngine(config: lightGCN(epochs: 6), dataset: data)
        let checkpoints = ClusterCheckpoints(directory: dir, keep: 2)
        for _ in 0..<2 { first.run.finishEpoch(seconds: try first.trainEpoch()) }
        for _ in 0..<3 { try first.trainStep() }
        try checkpoints.save(first.run, logger: logger)

        let second = try EmbeddedEngine(config: lightGCN(epochs: 6), dataset: data)
        XCTAssertNotNil(try checkpoints.restoreLatest(into: second.run, logger: logger))
        XCTAssertEqual(second.run.position, StepID(epoch: 3, step: 3))
        let summary = try second.fit()
        let sums = second.run.snapshot().mapValues { t in
            t.data.reduce(UInt64(0xcbf29ce484222325)) { ($0 ^ UInt64($1.bitPattern)) &* 0x100000001b3 }
        }
        XCTAssertEqual(Trace(weights: sums, losses: summary.records.map(\.loss), test: summary.test), reference)
    }
}
