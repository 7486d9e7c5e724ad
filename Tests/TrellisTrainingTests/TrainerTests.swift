import XCTest
import TrellisCore
import TrellisData
import TrellisTraining
import TestSupport

/// Short real training runs on MovieLens-100K: the loss falls, the model beats the
/// popularity baseline by a clear margin, and runs are reproducible.
final class TrainerTests: XCTestCase {
    private func config(_ kind: ModelSettings.Kind, epochs: Int, learningRate: Float) throws -> TrainingConfig {
        var c = TrainingConfig()
        c.model.kind = kind
        c.data.path = try TestData.movieLens100K()
        c.training.epochs = epochs
        c.training.learningRate = learningRate
        c.evaluation.topk = [10]
        return c
    }

    private func assertLearns(_ kind: ModelSettings.Kind, epochs: Int, learningRate: Float, margin: Double,
                              file: StaticString = #filePath, line: UInt = #line) throws {
        let cfg = try config(kind, epochs: epochs, learningRate: learningRate)
        let dataset = try PreparedDataset.load(cfg.data, seed: cfg.seed)
        let trainer = Trainer(config: cfg, dataset: dataset)
        let summary = try trainer.fit()
        let losses = summary.records.map(\.loss)
        XCTAssertLessThan(losses.last!, losses.first! * 0.8, "loss should fall: \(losses)", file: file, line: line)
        let model = summary.test["ndcg@10"]!, popular = trainer.popularityBaseline()["ndcg@10"]!
        XCTAssertGreaterThan(model, popular + margin, "\(kind) ndcg@10 \(model) vs popularity \(popular)", file: file, line: line)
    }

    func testBPRLearns() throws {
        try assertLearns(.bpr, epochs: 8, learningRate: 0.005, margin: 0.05)
    }

    func testLightGCNLearns() throws {
        try assertLearns(.lightgcn, epochs: 8, learningRate: 0.005, margin: 0.05)
    }

    func testSameSeedSameRun() throws {
        let cfg = try config(.lightgcn, epochs: 1, learningRate: 0.001)
        let dataset = try PreparedDataset.load(cfg.data, seed: cfg.seed)
        let a = Trainer(config: cfg, dataset: dataset), b = Trainer(config: cfg, dataset: dataset)
        XCTAssertEqual(a.batches(epoch: 1), b.batches(epoch: 1))
        XCTAssertNotEqual(a.batches(epoch: 1), a.batches(epoch: 2))
        for batch in a.batches(epoch: 1).prefix(3) { XCTAssertEqual(a.step(batch), b.step(batch)) }
        XCTAssertEqual(a.snapshot(), b.snapshot(), "same seed and batches give bit-identical weights")
    }

    func testWithoutValidationKeepsTheLastEpoch() throws {
        var cfg = try config(.bpr, epochs: 3, learningRate: 0.005)
        cfg.data.ratios = [0.8, 0.2]
        let dataset = try PreparedDataset.load(cfg.data, seed: cfg.seed)
        XCTAssertEqual(dataset.split.valid.count, 0)
        let summary = try Trainer(config: cfg, dataset: dataset).fit()
        XCTAssertEqual(summary.epochs, 3)
        XCTAssertEqual(summary.bestEpoch, 3)
        XCTAssertEqual(summary.records.map(\.split), ["train", "train", "train"])
        XCTAssertGreaterThan(summary.test["ndcg@10"]!, 0)
    }

    func testNegativesPerPositiveMultiplyTriples() throws {
        var cfg = try config(.bpr, epochs: 1, learningRate: 0.001)
        cfg.training.negatives = 3
        cfg.training.batchSize = 10
        let trainer = Trainer(config: cfg, dataset: try PreparedDataset.load(cfg.data, seed: cfg.seed))
        let batch = trainer.batches(epoch: 1)[0]
        XCTAssertEqual(batch.count, 30)
        XCTAssertEqual(Array(batch.users.prefix(3)), [Int32](repeating: batch.users[0], count: 3))
        XCTAssertEqual(Array(batch.positives.prefix(3)), [Int32](repeating: batch.positives[0], count: 3))
    }

    func testSplitHasNoLeakageAndMasksAreRight() throws {
        let cfg = try config(.bpr, epochs: 1, learningRate: 0.001)
        let d = try PreparedDataset.load(cfg.data, seed: cfg.seed)
        XCTAssertEqual(d.split.train.count + d.split.valid.count + d.split.test.count, 100_000)
        for user in 0..<d.userCount {
            let train = Set(d.trainItems.row(user)), valid = Set(d.validItems.row(user)), test = Set(d.testItems.row(user))
            XCTAssert(train.isDisjoint(with: test) && train.isDisjoint(with: valid) && valid.isDisjoint(with: test), "user \(user)")
            XCTAssertEqual(Set(d.trainAndValidItems.row(user)), train.union(valid))
        }
    }
}
