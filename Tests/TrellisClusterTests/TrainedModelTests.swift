import Foundation
import Logging
import TestSupport
import TrellisCluster
import TrellisTraining
import XCTest

/// A run read back from its checkpoints (`TrainedModel`, what `trellis export` and `recommend`
/// use) is the run that was tested: its outputs are the evaluation's, and its recommendations
/// under the default mask reproduce the run's test metrics user by user.
final class TrainedModelTests: XCTestCase {
    /// The groups dataset of `ClusterEngineTests` as a u.data file, with a config reading it.
    private func configOnFile(_ kind: String) throws -> TrainingConfig {
        let dir = try TestData.temporaryDirectory()
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        let data = ClusterEngineTests.dataset()
        var lines: [String] = []
        for part in [data.split.train, data.split.valid, data.split.test] {
            for k in 0..<part.count {
                lines.append("\(part.userIDs.raw(of: part.users[k]))\t\(part.itemIDs.raw(of: part.items[k]))\t4\t\(lines.count)")
            }
        }
        let path = dir.appendingPathComponent("u.data").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        var config = ClusterEngineTests.config(kind, partitions: 2)
        config.data.path = path
        config.training.epochs = 3
        config.cluster.prefetch = false
        return config
    }

    func testRecommendationsReproduceTheTestMetrics() throws {
        for kind in ["sage", "bpr", "lightgcn"] {
            let config = try configOnFile(kind)
            let checkpoints = try TestData.temporaryDirectory().path
            addTeardownBlock { try? FileManager.default.removeItem(atPath: checkpoints) }
            let engine = try EmbeddedEngine(config: config, dataset: PreparedDataset.load(config.data, seed: config.seed))
            engine.checkpoints = ClusterCheckpoints(directory: checkpoints, keep: 2)
            let summary = try engine.fit()

            let trained = try TrainedModel(config: config, checkpointDirectory: checkpoints, logger: Logger(label: "test"))
            XCTAssertEqual(trained.bestEpoch, summary.bestEpoch)
            XCTAssertEqual(trained.hasMessagePassing, kind != "bpr")
            // The evaluation's own numbers from the restored outputs (partition by partition,
            // as the run evaluated), and the whole-catalogue ranking's up to the order of sums.
            XCTAssertEqual(trained.run.evaluate(.test, outputs: trained.outputs)["ndcg@10"], summary.test["ndcg@10"], "\(kind)")
            let direct = trained.dataset.evaluate(.test, users: trained.outputs[0], items: trained.outputs[1], ks: [10])
            XCTAssertEqual(direct["ndcg@10"]!, summary.test["ndcg@10"]!, accuracy: 1e-12, "\(kind)")

            // Recall@10 and hit@10 from `recommend`, user by user.
            let test = trained.dataset.testItems
            var recall = 0.0, hit = 0.0, users = 0
            for u in 0..<test.rowCount where test.rowLength(u) > 0 {
                let raw = trained.dataset.split.train.userIDs.raw(of: Int32(u))
                let top = try trained.recommend(user: raw, k: 10)
                let seen = Set(trained.dataset.trainAndValidItems.row(u))
                XCTAssertTrue(top.allSatisfy { !seen.contains($0.row) }, "\(kind) \(raw): a seen item recommended")
                XCTAssertEqual(top.map(\.score), top.map(\.score).sorted(by: >))
                for (k, rec) in top.enumerated().prefix(3) {
                    XCTAssertEqual(try trained.standing(user: raw, item: rec.item).rank, k + 1, "\(kind) \(raw) \(rec.item)")
                }
                let found = Set(top.map(\.row)).intersection(test.row(u)).count
                recall += Double(found) / Double(test.rowLength(u))
                hit += found > 0 ? 1 : 0
                users += 1
            }
            XCTAssertEqual(Double(users), summary.test["users"])
            XCTAssertEqual(recall / Double(users), summary.test["recall@10"]!, accuracy: 1e-12, "\(kind)")
            XCTAssertEqual(hit / Double(users), summary.test["hit@10"]!, accuracy: 1e-12, "\(kind)")
            XCTAssertThrowsError(try trained.recommend(user: "nobody", k: 10)) { XCTAssertTrue("\($0)".contains("not in")) }
        }
    }
}
