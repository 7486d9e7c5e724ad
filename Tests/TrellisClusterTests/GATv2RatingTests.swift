import TestSupport
import TrellisCluster
import TrellisCore
import TrellisData
import TrellisTraining
import XCTest

/// Seed 004's model on the rating task learns: its test RMSE on a small graph whose groups
/// show in both the edges and the ratings falls well below the untrained model's.
final class GATv2RatingTests: XCTestCase {
    /// 60 users and 30 items in 2 taste groups: each user rates 8 items of their group (4 or
    /// 5) and 4 of the other (1 or 2), so both the graph and the ratings carry the groups.
    static func ratedGroups() -> PreparedDataset {
        var users: [Int32] = [], items: [Int32] = [], ratings: [Float] = []
        var rng = SeededGenerator(seed: 9)
        for u in 0..<60 {
            var chosen = Set<Int32>()
            while chosen.count < 8 { chosen.insert(Int32(u % 2) + 2 * Int32(rng.next() % 15)) }
            while chosen.count < 12 { chosen.insert(Int32(1 - u % 2) + 2 * Int32(rng.next() % 15)) }
            for i in chosen.sorted() {
                users.append(Int32(u)); items.append(i)
                ratings.append((u % 2 == Int(i) % 2 ? 4 : 1) + Float(rng.next() % 2))
            }
        }
        let table = InteractionTable(users: users, items: items, ratings: ratings, timestamps: users.indices.map(Double.init),
                                     userIDs: IDMap((0..<60).map { "u\($0)" }), itemIDs: IDMap((0..<30).map { "i\($0)" }))
        return PreparedDataset(name: "rated", split: DatasetSplit.randomRatio(table, ratios: [0.8, 0.1, 0.1], seed: 3))
    }

    func testGATv2LearnsRatings() throws {
        try assertLearns(head: .mlp, activation: .relu)
    }

    /// The variant configs/letterboxd-gatv2.yaml trains.
    func testGATv2WithTheDotHeadAndNoActivationLearnsRatings() throws {
        try assertLearns(head: .dot, activation: .none)
    }

    private func assertLearns(head: ModelSettings.Head, activation: ModelSettings.Activation) throws {
        var c = ClusterEngineTests.config("gatv2", partitions: 2)
        c.model.head = head
        c.model.activation = activation
        c.task.kind = .rating
        c.model.embeddingSize = 8
        c.model.regWeight = 0
        c.training.epochs = 20
        c.evaluation.validMetric = "rmse"
        let engine = try EmbeddedEngine(config: c, dataset: Self.ratedGroups())
        XCTAssertEqual(engine.stepper.model.name, "gatv2")
        let untrained = try XCTUnwrap(engine.run.evaluate(.test)["rmse"])
        let summary = try engine.fit()
        let trained = try XCTUnwrap(summary.test["rmse"])
        XCTAssertLessThan(trained, 0.6 * untrained, "untrained \(untrained), trained \(trained)")
        XCTAssertLessThan(try XCTUnwrap(summary.test["mae"]), trained + 1e-9, "MAE <= RMSE")
        XCTAssertEqual(summary.test["pairs"], Double(try XCTUnwrap(engine.run.dataset).split.test.count))
    }
}
