import Foundation
import XCTest

/// `task: {kind: rating}` through the real binary: `trellis train` reports RMSE and MAE beside
/// the rating baselines; `trellis coordinator start` refuses it before loading anything.
final class RatingRunTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-rating-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: dir)
    }

    /// A rating config over `data` (a u.data file, written here unless `missing`).
    private func config(missing: Bool = false) throws -> String {
        let data = dir.appendingPathComponent("u.data").path
        if !missing {
            var lines: [String] = []
            for user in 1...30 { for k in 0..<10 { lines.append("\(user)\t\((user + k) % 20 + 1)\t\(1 + (user + k) % 5)\t\(880_000_000 + user * 100 + k)") } }
            try lines.joined(separator: "\n").write(toFile: data, atomically: true, encoding: .utf8)
        }
        let path = dir.appendingPathComponent("c.yaml").path
        try """
        task: {kind: rating}
        model: {kind: bpr, embedding_size: 8}
        data: {path: \(data), split: rows, test_rows: 60, valid_ratio: 0.1}
        training: {epochs: 2, batch_size: 64, threads: 1}
        evaluation: {valid_metric: rmse}
        cluster: {partitions: 2}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testTrainReportsRatingErrorsBesideTheBaselines() throws {
        let out = dir.appendingPathComponent("out").path
        let (status, output) = try Harness.run(["train", "--config", try config(), "--output", out])
        XCTAssertEqual(status, 0, output)
        for text in ["valid  rmse ", "60 ratings", "  bpr  ", "  bias  ", "  global mean  "] {
            XCTAssert(output.contains(text), "no '\(text)' in:\n\(output)")
        }
        let results = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/results.json"))) as? [String: Any]
        let test = try XCTUnwrap(results?["test"] as? [String: Double])
        XCTAssertEqual(test["pairs"], 60)
        XCTAssertGreaterThan(try XCTUnwrap(test["rmse"]), 0)
        XCTAssertNotNil((results?["baseline_ratings_test"] as? [String: Double])?["bias_rmse"])
    }

    func testTheCoordinatorRefusesTheRatingTaskBeforeTheDataLoads() throws {
        let (status, output) = try Harness.run(["coordinator", "start", "--config", try config(missing: true), "--listen", "tcp://127.0.0.1:1"])
        XCTAssertEqual(status, 1, output)
        XCTAssert(output.contains("task.kind rating does not run in a cluster"), output)
        XCTAssertFalse(output.contains("dataset ") || output.contains("u.data"), output)
    }
}
