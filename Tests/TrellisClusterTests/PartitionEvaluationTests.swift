import TrellisCluster
import TrellisCore
import TrellisGraph
import TrellisTensor
import TrellisTraining
import XCTest

/// Evaluation partition by partition: the merged sums give the whole-catalogue metrics, the
/// outputs are the whole-graph ones, and the activation store refuses what does not fit.
final class PartitionEvaluationTests: XCTestCase {
    func testMergedPartitionSumsGiveTheWholeEvaluation() throws {
        let data = ClusterEngineTests.dataset()
        for kind in ["sage", "gatv2", "bpr", "lightgcn"] {
            for partitions in [1, 3] {
                let config = ClusterEngineTests.config(kind, partitions: partitions)
                let run = try TrainingRun(plan: TrainingPlan(config: config, dataset: data), dataset: data)
                let outputs = run.outputs()
                for part in [EvaluationPart.valid, .test] {
                    let merged = run.evaluate(part)
                    let whole = data.evaluate(part, users: outputs[0], items: outputs[1], ks: config.evaluation.topk)
                    XCTAssertEqual(Set(merged.keys), Set(whole.keys), "\(kind)")
                    for (key, value) in whole {
                        // One partition adds the users in the same order: the same bits.
                        if partitions == 1 { XCTAssertEqual(merged[key], value, "\(kind) \(part) \(key)") }
                        XCTAssertEqual(merged[key]!, value, accuracy: 1e-12, "\(kind) \(partitions) partitions \(part) \(key)")
                    }
                }
            }
        }
    }

    func testPartitionByPartitionLayersGiveTheWholeGraphOutputs() throws {
        let data = ClusterEngineTests.dataset()
        for kind in ["sage", "gatv2"] {
            let config = ClusterEngineTests.config(kind, partitions: 3)
            let run = try TrainingRun(plan: TrainingPlan(config: config, dataset: data), dataset: data)
            let full = run.fullGraphOutputs(), chunked = run.outputs()
            for t in 0..<2 {
                XCTAssertEqual(chunked[t].shape, full[t].shape)
                let gap = zip(chunked[t].data, full[t].data).map { abs($0 - $1) }.max() ?? 0
                XCTAssertLessThan(gap, 1e-4, "\(kind), type \(t)")
            }
        }
    }

    func testTheStoreRefusesRowsThatDoNotFit() throws {
        let store = LocalActivations(tables: [Tensor(shape: [3, 2]), Tensor(shape: [2, 2])])
        XCTAssertThrowsError(try store.write(layer: 1, type: 0, ids: [3], rows: Tensor(shape: [1, 4])))       // no node 3
        XCTAssertThrowsError(try store.write(layer: 1, type: 0, ids: [0, 1], rows: Tensor(shape: [1, 4])))    // 2 ids, 1 row
        XCTAssertThrowsError(try store.whole(layer: 1, type: 0))                                               // not written
        try store.write(layer: 1, type: 0, ids: [2, 0], rows: Tensor(shape: [2, 4], data: [1, 2, 3, 4, 5, 6, 7, 8]))
        XCTAssertThrowsError(try store.write(layer: 1, type: 0, ids: [1], rows: Tensor(shape: [1, 3])))       // another width
        XCTAssertEqual(try store.rows(layer: 1, type: 0, ids: [0, 2]).data, [5, 6, 7, 8, 1, 2, 3, 4])
        // Layer 3 written: layer 1 is dropped, layer 2 and the tables stay.
        try store.write(layer: 2, type: 0, ids: [0], rows: Tensor(shape: [1, 4]))
        try store.write(layer: 3, type: 0, ids: [0], rows: Tensor(shape: [1, 4]))
        XCTAssertThrowsError(try store.whole(layer: 1, type: 0))
        XCTAssertNoThrow(try store.whole(layer: 2, type: 0))
        XCTAssertEqual(try store.whole(layer: 0, type: 1).shape, [2, 2])
    }
}
