import XCTest
import TrellisData
import TrellisEval
import TrellisTraining
import TestSupport

/// The `rows` split from a config, its keys' checks, and the rating baselines on MovieLens u1.
final class RowsSplitTests: XCTestCase {
    func testKeysAreParsedAndChecked() throws {
        let c = try TrainingConfig.parse(yaml: "data: {split: rows, test_rows: 20000}")
        XCTAssertEqual(c.data.split, .rows)
        XCTAssertEqual(c.data.testRows, 20000)
        XCTAssertEqual(c.data.testStart, 0)
        XCTAssertEqual(c.data.validRatio, 0)
        let v = try TrainingConfig.parse(yaml: "data: {split: rows, test_rows: 5, test_start: 10, valid_ratio: 0.1}")
        XCTAssertEqual([Double(v.data.testRows!), Double(v.data.testStart), v.data.validRatio], [5, 10, 0.1])

        assertConfigError("data: {split: rows}", key: "data.split", contains: "data.test_rows")
        assertConfigError("data: {split: rows, test_rows: 0}", key: "data.test_rows", contains: "at least 1")
        assertConfigError("data: {split: rows, test_rows: 10, test_start: -1}", key: "data.test_start", contains: "at least 0")
        assertConfigError("data: {split: rows, test_rows: 10, valid_ratio: 1}", key: "data.valid_ratio", contains: "below 1")
        assertConfigError("data: {split: rows, test_rows: 10, valid_ratio: -0.1}", key: "data.valid_ratio", contains: "at least 0")
        assertConfigError("data: {split: rows, test_rows: 10, valid_ratio: .nan}", key: "data.valid_ratio", contains: "finite")
        assertConfigError("data: {test_rows: 10}", key: "data.test_rows", contains: "only used by split 'rows'")
        var inCode = TrainingConfig()
        inCode.data.split = .rows
        inCode.data.testRows = 10
        inCode.data.validRatio = .nan
        XCTAssertThrowsError(try inCode.validate()) { XCTAssertEqual(($0 as? ConfigError)?.key, "data.valid_ratio") }
        assertConfigError("data: {split: leave_one_out, valid_ratio: 0.1}", key: "data.valid_ratio", contains: "only used by split 'rows'")
    }

    /// Only a `rows` run carries the row-block keys, so every other run's fingerprint is unchanged.
    func testRowKeysDefineARowsRunOnly() throws {
        XCTAssertFalse(RunIdentity(config: TrainingConfig()).settings.contains { $0.hasPrefix("data.test_rows") })
        let a = try TrainingConfig.parse(yaml: "data: {split: rows, test_rows: 20000}")
        let b = try TrainingConfig.parse(yaml: "data: {split: rows, test_rows: 20000, test_start: 20000}")
        XCTAssertEqual(RunIdentity.differences(stored: RunIdentity(config: a).settings, current: RunIdentity(config: b).settings),
                       ["data.test_start 0 vs 20000"])
    }

    func testABlockPastTheEndNamesTheFile() throws {
        let dir = try TestData.temporaryDirectory()
        let path = dir.appendingPathComponent("u.data").path
        try (1...5).map { "\($0)\t\($0)\t4\t\(100 + $0)" }.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let past = try TrainingConfig.parse(yaml: "data: {path: \(path), split: rows, test_rows: 4, test_start: 2}")
        XCTAssertThrowsError(try PreparedDataset.load(past.data, seed: 1)) { error in
            XCTAssert("\(error)".contains("u.data") && "\(error)".contains("at least 6 rows"), "\(error)")
        }
        let all = try TrainingConfig.parse(yaml: "data: {path: \(path), split: rows, test_rows: 5}")
        XCTAssertThrowsError(try PreparedDataset.load(all.data, seed: 1)) { error in
            XCTAssert("\(error)".contains("training interaction"), "\(error)")
        }
        let ok = try PreparedDataset.load(try TrainingConfig.parse(yaml: "data: {path: \(path), split: rows, test_rows: 2, test_start: 1}").data, seed: 1)
        XCTAssertEqual(ok.split.test.timestamps, [102, 103])
        XCTAssertEqual(ok.split.train.timestamps, [101, 104, 105])
    }

    /// MovieLens u1 rebuilt from ml-100k.inter: the global mean gives RMSE 1.154 (the reference
    /// figure), the bias baseline beats it.
    func testBaselinesOnMovieLensU1() throws {
        let path = try TestData.movieLens100K()
        let config = try TrainingConfig.parse(yaml: "data: {path: \(path), split: rows, test_rows: 20000}")
        let d = try PreparedDataset.load(config.data, seed: config.seed)
        XCTAssertEqual([d.split.train.count, d.split.valid.count, d.split.test.count], [80_000, 0, 20_000])
        let r = d.ratingBaselines(clip: 1...5)
        XCTAssertEqual(r.trainMean, 3.52835, accuracy: 1e-5)
        XCTAssertEqual(r.globalMean.count, 20_000)
        XCTAssertEqual(r.globalMean.rmse, 1.154, accuracy: 0.005)
        XCTAssertEqual(r.globalMean.mae, 0.968, accuracy: 0.005)
        XCTAssertLessThan(r.bias.rmse, r.globalMean.rmse - 0.1, "the bias baseline beats the global mean clearly")
        XCTAssertLessThan(r.bias.mae, r.globalMean.mae)
        // Measured here (README): bias RMSE 0.9599, MAE 0.7616; clipping to 1-5 changes it by 2e-5.
        XCTAssertEqual(r.bias.rmse, 0.960, accuracy: 0.005)
        XCTAssertEqual(d.ratingBaselines().bias.rmse, r.bias.rmse, accuracy: 1e-3)

        // A seeded valid carve leaves the test part as it was.
        let carved = try PreparedDataset.load(try TrainingConfig.parse(yaml: "data: {path: \(path), split: rows, test_rows: 20000, valid_ratio: 0.1}").data, seed: 1)
        XCTAssertEqual(carved.split.test.ratings, d.split.test.ratings)
        XCTAssertEqual(carved.split.test.users, d.split.test.users)
        XCTAssertEqual(carved.split.train.count + carved.split.valid.count, 80_000)
        XCTAssertEqual(Double(carved.split.valid.count), 8_000, accuracy: 500)
        XCTAssertLessThan(carved.ratingBaselines(on: .valid, clip: 1...5).bias.rmse, carved.ratingBaselines(on: .valid, clip: 1...5).globalMean.rmse)
    }
}
