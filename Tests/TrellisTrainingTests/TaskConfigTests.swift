import TrellisTraining
import XCTest

/// `task.kind` and what it changes in the config: the valid metrics, early stopping's
/// direction, the run fingerprint.
final class TaskConfigTests: XCTestCase {
    func testTaskKindParsesAndDefaultsToLinkPrediction() throws {
        XCTAssertEqual(try TrainingConfig.parse(yaml: "seed: 1").task.kind, .linkPrediction)
        let c = try TrainingConfig.parse(yaml: """
        task: {kind: rating}
        model: {kind: gatv2, embedding_size: 32}
        evaluation: {valid_metric: rmse}
        """)
        XCTAssertEqual(c.task.kind, .rating)
        XCTAssertEqual(c.model.kind, "gatv2")
    }

    func testBadTaskKeysNameTheKey() {
        assertConfigError("task: {kind: ranking}", key: "task.kind", contains: "rating")
        assertConfigError("task: {kind: rating, loss: mse}", key: "task.loss", contains: "softmax")
        assertConfigError("task: {kind: next_item}\nmodel: {kind: sasrec, dropout: 1}", key: "model.dropout", contains: "below 1")
        assertConfigError("model: {kind: sasrec, norm: middle}", key: "model.norm", contains: "pre")
        assertConfigError("data: {split: users}", key: "data.split", contains: "next_item")
        assertConfigError("task: {kind: next_item}\nmodel: {kind: sasrec}\ndata: {split: users, ratios: [0.8, 0.3]}", key: "data.ratios", contains: "sum to 1")
        assertConfigError("model: {kind: sasrec, max_length: 0}", key: "model.max_length", contains: "1")
        assertConfigError("evaluation: {mask_history: maybe}", key: "evaluation.mask_history", contains: "true")
        assertConfigError("task: {kind: rating}\nmodel: {kind: sage}", key: "evaluation.valid_metric", contains: "rmse or mae")
        assertConfigError("evaluation: {valid_metric: rmse}", key: "evaluation.valid_metric", contains: "NAME@K")
        assertConfigError("task: {kind: next_item}\nmodel: {kind: sasrec}\ntraining: {links_per_user: 10}",
                          key: "training.links_per_user", contains: "windows")
        assertConfigError("training: {links_per_user: -1}", key: "training.links_per_user", contains: "0")
        assertConfigError("model: {kind: gatv2, head: bilinear}", key: "model.head", contains: "dot")
        assertConfigError("model: {kind: gatv2, activation: gelu}", key: "model.activation", contains: "tanh")
    }

    func testHeadAndActivationRoundTripThroughTheSpec() throws {
        let c = try TrainingConfig.parse(yaml: "model: {kind: gatv2, head: dot, activation: none}")
        XCTAssertEqual(c.model.head, .dot)
        XCTAssertEqual(c.model.activation, .none)
        XCTAssertEqual(try TrainingConfig.parse(yaml: c.spec), c)
        // The defaults write no key, so the runs before these keys keep their spec and identity.
        let plain = try TrainingConfig.parse(yaml: "model: {kind: gatv2}")
        XCTAssertEqual(plain.model.head, .mlp)
        XCTAssertEqual(plain.model.activation, .relu)
        XCTAssertFalse(plain.spec.contains("head") || plain.spec.contains("activation"), plain.spec)
        XCTAssertNotEqual(RunIdentity.settings(of: c), RunIdentity.settings(of: plain))
    }

    func testLinksPerUserRoundTripsThroughTheSpec() throws {
        let c = try TrainingConfig.parse(yaml: "task: {kind: rating}\nmodel: {kind: gatv2}\nevaluation: {valid_metric: rmse}\ntraining: {links_per_user: 10}")
        XCTAssertEqual(c.training.linksPerUser, 10)
        XCTAssertEqual(try TrainingConfig.parse(yaml: c.spec), c)
        XCTAssertEqual(try TrainingConfig.parse(yaml: "seed: 1").training.linksPerUser, 0)
    }

    func testEarlyStoppingMinimisesErrorMetrics() {
        var rmse = EarlyStopping(metric: "rmse", patience: 2)
        XCTAssertEqual(rmse.record(epoch: 1, metrics: ["rmse": 1.0]).improved, true)
        XCTAssertEqual(rmse.record(epoch: 2, metrics: ["rmse": 0.9]).improved, true)
        XCTAssertEqual(rmse.record(epoch: 3, metrics: ["rmse": 0.95]).improved, false)
        XCTAssertEqual(rmse.record(epoch: 4, metrics: ["rmse": .nan]).stop, true, "NaN never improves")
        XCTAssertEqual(rmse.bestEpoch, 2)
        XCTAssertEqual(rmse.best, 0.9)
        var ndcg = EarlyStopping(metric: "ndcg@10", patience: 2)
        XCTAssertEqual(ndcg.record(epoch: 1, metrics: ["ndcg@10": 0.2]).improved, true)
        XCTAssertEqual(ndcg.record(epoch: 2, metrics: ["ndcg@10": 0.1]).improved, false)
        XCTAssertEqual(ndcg.bestEpoch, 1)
    }

    func testOnlyARatingTaskAddsItsKeyToTheFingerprint() throws {
        let link = TrainingConfig()
        XCTAssertFalse(RunIdentity.settings(of: link).contains { $0.hasPrefix("task.") })
        var rating = link
        rating.task.kind = .rating
        XCTAssertTrue(RunIdentity.settings(of: rating).contains("task.kind=rating"))
    }

    /// The sequence keys parse, and only a next-item run writes them into its spec and identity,
    /// so every other run's fingerprint reads as before.
    func testSequenceKeysBelongToTheNextItemTask() throws {
        let c = try TrainingConfig.parse(yaml: """
        task: {kind: next_item, loss: bce, positions: last}
        model: {kind: sasrec, max_length: 200, blocks: 3, heads: 4, inner_size: 96, dropout: 0.5, norm: post}
        evaluation: {mask_history: true, sampled_negatives: 100}
        """)
        XCTAssertEqual(c.task.positions, .last)
        XCTAssertEqual(c.evaluation.sampledNegatives, 100)
        XCTAssertEqual(c.task.loss, .bce)
        XCTAssertEqual([c.model.maxLength, c.model.blocks, c.model.heads, c.model.innerSize], [200, 3, 4, 96])
        XCTAssertEqual(c.model.dropout, 0.5)
        XCTAssertEqual(c.model.norm, .post)
        XCTAssertTrue(c.evaluation.maskHistory)
        XCTAssertEqual(try TrainingConfig.parse(yaml: c.spec), c)
        XCTAssertTrue(RunIdentity.settings(of: c).contains("model.max_length=200"))
        var link = c
        link.task.kind = .linkPrediction
        XCTAssertFalse(RunIdentity.settings(of: link).contains { $0.hasPrefix("model.max_length") || $0.hasPrefix("task.") })
    }
}
