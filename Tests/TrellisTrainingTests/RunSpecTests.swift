import Foundation
import TrellisTraining
import XCTest

/// The run spec the coordinator sends: every key, overrides included, read back to an equal config.
final class RunSpecTests: XCTestCase {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testEveryShippedConfigWithOverridesReadsBackEqual() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("configs").path).filter { $0.hasSuffix(".yaml") }
        XCTAssertGreaterThanOrEqual(files.count, 5)
        for file in files {
            var c = try TrainingConfig.load(path: root.appendingPathComponent("configs/\(file)").path)
            c.seed = 7
            c.training.epochs = 3
            XCTAssertEqual(try TrainingConfig.parse(yaml: c.spec, file: file), c, file)
        }
    }

    func testOptionalKeysAwkwardStringsAndFloatsSurvive() throws {
        var c = TrainingConfig()
        c.model.kind = "sage"
        c.model.relationFanouts = ["item->user": [3, 2], "user->item": [-1, 4]]
        c.data.name = "a \"quoted\" name\\with\ttabs"
        c.data.path = "data/x: y.inter"
        c.data.format = "recbole"
        c.data.split = .rows
        c.data.testRows = 20_000
        c.data.testStart = 20_000
        c.data.validRatio = 0.1
        c.data.ratingScale = [0.5, 5]
        c.training.learningRate = 0.0023
        c.training.clipGradNorm = 1.7
        c.training.weightDecay = 1e-6
        c.model.regWeight = 3e-5
        c.cluster.valueEncoding = .bfloat16
        c.cluster.prefetch = false
        c.data.features = ["user": FeatureSource(path: "data/x \"y\".user", columns: ["age", "a b"]),
                           "item": FeatureSource(path: "x.item", columns: ["class"], dtype: .float16)]
        XCTAssertEqual(try TrainingConfig.parse(yaml: c.spec), c, c.spec)
        var files = TrainingConfig()
        files.data.split = .files
        files.data.trainFile = "u1.base"
        files.data.testFile = "u1.test"
        files.data.ratios = [0.8, 0.2]
        XCTAssertEqual(try TrainingConfig.parse(yaml: files.spec), files, files.spec)
    }

    func testFeatureSourcesAreCheckedKeyByKey() throws {
        let ok = try TrainingConfig.parse(yaml: "data: {features: {item: {path: x.item, columns: [class, year], dtype: bfloat16}}}")
        XCTAssertEqual(ok.data.features["item"], FeatureSource(path: "x.item", columns: ["class", "year"], dtype: .bfloat16))
        for (yaml, key) in [("data: {features: {item: {path: x.item}}}", "data.features.item"),
                            ("data: {features: {item: {path: x.item, columns: []}}}", "data.features.item.columns"),
                            ("data: {features: {item: {path: x.item, columns: [a, a]}}}", "data.features.item.columns"),
                            ("data: {features: {item: {path: x.item, columns: [a], dtype: int8}}}", "data.features.item.dtype"),
                            ("data: {features: {item: {path: x.item, columns: [a], width: 3}}}", "data.features.item.width"),
                            ("data: {features: [item]}", "data.features")] {
            XCTAssertThrowsError(try TrainingConfig.parse(yaml: yaml), yaml) { error in
                XCTAssertEqual((error as? ConfigError)?.key, key, "\(error)")
            }
        }
    }
}
