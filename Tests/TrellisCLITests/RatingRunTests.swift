import Foundation
import TestSupport
import XCTest

/// `task: {kind: rating}` through the real binary: `trellis train` reports RMSE and MAE beside
/// the rating baselines, and a cluster gives the numbers of one process.
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

    /// The rating task across processes: ratings travel with the links, the mean and the scale
    /// with the welcome, and 2 workers (also with 2 parameter-server processes) give exactly
    /// the numbers of one process.
    /// A harness whose config trains a small gatv2 on u1: the rating as edge feature, or one
    /// relation pair per rating level with `ratingRelations`; with `features`, the users' and
    /// movies' side features as frozen tables and a warmed-up cosine learning rate (which each
    /// parameter-server process computes for itself).
    private func gatv2Harness(_ name: String, epochs: Int, batch: Int, ratingRelations: Bool = false, features: Bool = false) throws -> Harness {
        let h = try Harness(name: name)
        let data = try TestData.movieLens100K()
        let sides = features ? """
            , features: {user: {path: \(try TestData.movieLens100K("user")), columns: [gender, occupation]},
                         item: {path: \(try TestData.movieLens100K("item")), columns: [class], dtype: float16}}
            """ : ""
        let schedule = features ? ", schedule: cosine, warmup_steps: 3" : ""
        try """
        seed: 3
        task: {kind: rating}
        model: {kind: gatv2, embedding_size: 16, layers: 2, fanouts: [4, 4], rating_relations: \(ratingRelations)}
        data: {name: u1, path: \(data), split: rows, test_rows: 20000, valid_ratio: 0.1\(sides)}
        training: {epochs: \(epochs), batch_size: \(batch), optimizer: adam, learning_rate: 0.002, threads: 1\(schedule)}
        evaluation: {valid_metric: rmse, stopping_step: \(epochs)}
        cluster: {partitions: 4, mode: sync, heartbeat_ms: 100, worker_timeout_ms: 1000, takeover_ms: 20000}
        """.write(toFile: h.config, atomically: true, encoding: .utf8)
        return h
    }

    func testTwoWorkersGiveTheNumbersOfOneProcess() throws {
        for ratingRelations in [false, true] {
            try checkTwoWorkersMatchOneProcess(try gatv2Harness("rating-cluster", epochs: 2, batch: 4096, ratingRelations: ratingRelations))
        }
    }

    /// Frozen feature tables across processes: the kinds travel in the welcomes, the workers
    /// (and the server shards) hold and serve them, and every layout gives one process's numbers.
    /// The last layout schedules from a partitioned folder (`data partition`), so the tables
    /// and the 4 parts merged into each worker's 2 come from its files.
    func testFeatureTablesGiveTheNumbersOfOneProcessInEveryLayout() throws {
        try checkTwoWorkersMatchOneProcess(try gatv2Harness("rating-features", epochs: 2, batch: 4096, features: true), partitioned: true)
    }

    private func checkTwoWorkersMatchOneProcess(_ h: Harness, partitioned: Bool = false) throws {
        let reference = try h.trainOneProcess()
        XCTAssertNotNil(reference.test["rmse"])
        for servers in [0, 2] {
            XCTAssertEqual(try h.runTwoWorkers(servers: servers, output: "cluster\(servers)"), reference, "\(servers) server processes")
        }
        guard partitioned else { return }
        let folder = h.dir.appendingPathComponent("parts").path
        let written = try Harness.run(["data", "partition", "--config", h.config, "--out", folder])
        XCTAssertEqual(written.status, 0, written.output)
        XCTAssertEqual(try h.runTwoWorkers(servers: 2, output: "folder", extra: ["--partitioned", folder]), reference, "from the partitioned folder")
        XCTAssert(try h.log("coordinator").contains("partitions read from \(folder)"))
    }

    /// gatv2 with 2 workers, one SIGKILLed mid-run and replaced by a new `worker join`: the
    /// replacement takes the orphaned partitions and the run ends with one process's numbers.
    func testKilledWorkerIsReplacedAndTheRunMatchesOneProcess() throws {
        try gatv2Harness("rating-kill", epochs: 6, batch: 2048, ratingRelations: true).checkAKilledWorkerChangesNothing()
    }
}
