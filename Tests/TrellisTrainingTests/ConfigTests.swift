import XCTest
import TrellisTraining

final class ConfigTests: XCTestCase {
    func testShippedConfigsParse() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let lightgcn = try TrainingConfig.load(path: root.appendingPathComponent("configs/ml100k-lightgcn.yaml").path)
        XCTAssertEqual(lightgcn.model.kind, "lightgcn")
        XCTAssertEqual(lightgcn.model.layers, 2)
        XCTAssertEqual(lightgcn.training.batchSize, 2048)
        let bpr = try TrainingConfig.load(path: root.appendingPathComponent("configs/ml100k-bpr.yaml").path)
        XCTAssertEqual(bpr.model.kind, "bpr")
        XCTAssertEqual(bpr.data.ratios, [0.8, 0.1, 0.1])
    }

    func testDefaultsAndOverrides() throws {
        let c = try TrainingConfig.parse(yaml: """
        seed: 7
        model: {kind: bpr, embedding_size: 32}
        training: {learning_rate: 0.01, clip_grad_norm: 5}
        evaluation: {topk: [5, 10], valid_metric: recall@5}
        """)
        XCTAssertEqual(c.seed, 7)
        XCTAssertEqual(c.model.kind, "bpr")
        XCTAssertEqual(c.model.embeddingSize, 32)
        XCTAssertEqual(c.training.learningRate, 0.01)
        XCTAssertEqual(c.training.clipGradNorm, 5)
        XCTAssertEqual(c.training.batchSize, 2048, "unset keys keep their defaults")
        XCTAssertEqual(c.evaluation.validMetric, "recall@5")
    }

    func testBadConfigsNameTheKey() {
        assertConfigError("trainig: {epochs: 3}", key: "trainig", contains: "unknown key")
        assertConfigError("training: {epoch: 3}", key: "training.epoch", contains: "unknown key")
        assertConfigError("training: {epochs: many}", key: "training.epochs", contains: "expected an integer")
        assertConfigError("training: {epochs: 0}", key: "training.epochs", contains: "at least 1")
        assertConfigError("model: {kind: GCN!}", key: "model.kind", contains: "expected a name")
        assertConfigError("data: {ratios: [0.8]}", key: "data.ratios", contains: "2 or 3")
        assertConfigError("data: {split: files}", key: "data.split", contains: "train_file")
        assertConfigError("data: {format: parquet}", key: "data.format", contains: "expected one of")
        assertConfigError("evaluation: {valid_metric: ndcg@50}", key: "evaluation.valid_metric", contains: "topk")
        assertConfigError("model: [1, 2]", key: "model", contains: "mapping")
        assertConfigError("seed: [", key: "", contains: "not valid YAML")
    }

    func testBadSamplingAndClusterKeysNameTheKey() {
        assertConfigError("model: {aggregator: lstm}", key: "model.aggregator", contains: "expected one of")
        assertConfigError("cluster: {partitions: 0}", key: "cluster.partitions", contains: "at least 1")
        assertConfigError("cluster: {mode: eventual}", key: "cluster.mode", contains: "expected one of")
        assertConfigError("cluster: {compress: maybe}", key: "cluster.compress", contains: "true or false")
        assertConfigError("cluster: {heartbeat: 5}", key: "cluster.heartbeat", contains: "unknown key")
        assertConfigError("cluster: {table_staleness: 2}", key: "cluster.table_staleness", contains: "only used by mode 'async'")
        assertConfigError("cluster: {mode: async, table_staleness: -1}", key: "cluster.table_staleness", contains: "at least 0")
    }

    /// The fingerprint covers what defines a run (seed, data, model, optimisation,
    /// partitioning) and nothing else (epochs, threads, checkpoint retention).
    func testRunFingerprintCoversTheDefiningKeysOnly() {
        let base = TrainingConfig()
        let id = RunIdentity(config: base)
        XCTAssertEqual(id.fingerprint.count, 16)
        XCTAssertEqual(id.fingerprint, RunIdentity(config: base).fingerprint, "stable")
        XCTAssertEqual(id.fingerprint, RunIdentity.fingerprint(of: id.settings))
        XCTAssertNotEqual(id.runID, RunIdentity(config: base).runID, "a fresh run gets a new id")
        var same = base
        same.training.epochs = 7; same.training.threads = 8; same.cluster.checkpointsKept = 9; same.cluster.heartbeatMilliseconds = 50
        XCTAssertEqual(RunIdentity(config: same).fingerprint, id.fingerprint)
        var changes: [(String, (inout TrainingConfig) -> Void)] = [
            ("seed", { $0.seed = 7 }), ("data.ratios", { $0.data.ratios = [0.7, 0.2, 0.1] }), ("data.path", { $0.data.path = "x" }),
            ("model.kind", { $0.model.kind = "sage" }), ("model.embedding_size", { $0.model.embeddingSize = 32 }),
            ("training.learning_rate", { $0.training.learningRate = 0.5 }), ("training.optimizer", { $0.training.optimizer = .sgd }),
            ("cluster.partitions", { $0.cluster.partitions = 4 }), ("cluster.mode", { $0.cluster.mode = .async }),
            ("model.relation_fanouts.item->user", { $0.model.relationFanouts["item->user"] = [3, 3] }),
        ]
        changes.append(("training.clip_grad_norm", { $0.training.clipGradNorm = 1 }))
        changes.append(("cluster.table_staleness", { $0.cluster.tableStaleness = 3 }))
        for (key, change) in changes {
            var c = base
            change(&c)
            let other = RunIdentity(config: c)
            XCTAssertNotEqual(other.fingerprint, id.fingerprint, key)
            let differences = RunIdentity.differences(stored: id.settings, current: other.settings)
            XCTAssertEqual(differences.count, 1, "\(differences)")
            XCTAssert(differences.first?.hasPrefix(key + " ") == true, "\(differences)")
        }
        var seven = base
        seven.seed = 7
        XCTAssertEqual(RunIdentity.differences(stored: id.settings, current: RunIdentity(config: seven).settings), ["seed 2020 vs 7"])
    }
}
