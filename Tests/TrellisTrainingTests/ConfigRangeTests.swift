import XCTest
import TrellisTraining

/// Numbers that would crash or poison a run are refused when the config is read, naming the
/// file and key; echoed values are cut short.
final class ConfigRangeTests: XCTestCase {
    func testFloatsMustBeFiniteAndInRange() {
        assertConfigError("training: {learning_rate: .inf}", key: "training.learning_rate", contains: "finite")
        assertConfigError("training: {learning_rate: .nan}", key: "training.learning_rate", contains: "finite")
        assertConfigError("training: {learning_rate: 1e40}", key: "training.learning_rate", contains: "finite")
        assertConfigError("training: {learning_rate: 0}", key: "training.learning_rate", contains: "greater than 0")
        assertConfigError("training: {learning_rate: -0.1}", key: "training.learning_rate", contains: "greater than 0")
        assertConfigError("model: {reg_weight: 1e40}", key: "model.reg_weight", contains: "finite")
        assertConfigError("model: {reg_weight: -1}", key: "model.reg_weight", contains: "at least 0")
        assertConfigError("training: {weight_decay: .inf}", key: "training.weight_decay", contains: "finite")
        assertConfigError("training: {clip_grad_norm: 0}", key: "training.clip_grad_norm", contains: "greater than 0")
        assertConfigError("training: {clip_grad_norm: -.inf}", key: "training.clip_grad_norm", contains: "finite")
        assertConfigError("data: {split: time, valid_from: 1, test_from: .inf}", key: "data.test_from", contains: "finite")
    }

    func testRatiosArePositiveSharesSummingToOne() {
        assertConfigError("data: {ratios: [0, 0.5, 0.5]}", key: "data.ratios", contains: "greater than 0")
        assertConfigError("data: {ratios: [0.8, 0, 0.2]}", key: "data.ratios", contains: "greater than 0")
        assertConfigError("data: {ratios: [0.8, .nan, 0.1]}", key: "data.ratios", contains: "finite")
        assertConfigError("data: {ratios: [0.8, 0.3, 0.1]}", key: "data.ratios", contains: "sum to 1")
        assertConfigError("data: {ratios: [8, 1, 1]}", key: "data.ratios", contains: "sum to 1")
        XCTAssertNoThrow(try TrainingConfig.parse(yaml: "data: {ratios: [0.7, 0.3]}"))
        XCTAssertNoThrow(try TrainingConfig.parse(yaml: "data: {ratios: [0.8, 0.1, 0.1]}"))
    }

    func testIntegersHaveUpperBounds() {
        assertConfigError("cluster: {partitions: 70000}", key: "cluster.partitions", contains: "at most")
        assertConfigError("model: {embedding_size: 100000000}", key: "model.embedding_size", contains: "at most")
        assertConfigError("training: {negatives: 1000000}", key: "training.negatives", contains: "at most")
        assertConfigError("training: {threads: 100000}", key: "training.threads", contains: "at most")
        assertConfigError("evaluation: {topk: [10, 100000000]}", key: "evaluation.topk", contains: "at most")
        assertConfigError("model: {kind: sage, layers: 1, fanouts: [100000000]}", key: "model.fanouts", contains: "at most")
    }

    func testLongValuesAreCutInErrors() {
        let long = String(repeating: "x", count: 5120)
        for yaml in ["data: {format: \(long)}", "model: {kind: \(long)}", "training: {epochs: \(long)}",
                     "training: {\(long): 1}", "evaluation: {valid_metric: \(long)}"] {
            XCTAssertThrowsError(try TrainingConfig.parse(yaml: yaml, file: "c.yaml")) { error in
                let text = "\(error)"
                XCTAssertLessThan(text.count, 400, "error echoes the whole value: \(text.prefix(200))")
                XCTAssert(text.contains("…"), "a cut value ends with an ellipsis: \(text.prefix(200))")
            }
        }
    }
}
