import XCTest
import Foundation
import TrellisTransport

/// Runs the real `trellis` executable.
final class TrainCommandTests: XCTestCase {
    private func run(_ arguments: [String]) throws -> (status: Int32, output: String) { try Harness.run(arguments) }

    private func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A small synthetic u.data file: 30 users with taste clusters over 40 items.
    private func writeSyntheticData(to dir: URL) throws -> String {
        var lines: [String] = []
        for user in 1...30 {
            let cluster = user % 3
            for k in 0..<10 { lines.append("\(user)\t\(cluster * 13 + (user + k) % 13 + 1)\t4\t\(880_000_000 + user * 100 + k)") }
        }
        let path = dir.appendingPathComponent("u.data").path
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testTrainWritesMetricsAndResults() throws {
        let dir = try temporaryDirectory()
        let data = try writeSyntheticData(to: dir)
        let config = dir.appendingPathComponent("tiny.yaml").path
        try """
        seed: 3
        model: {kind: lightgcn, embedding_size: 16, layers: 2}
        data: {name: tiny, path: \(data), split: ratio, ratios: [0.8, 0.1, 0.1]}
        training: {epochs: 3, batch_size: 64, learning_rate: 0.01, threads: 1}
        evaluation: {topk: [5, 10], valid_metric: ndcg@10}
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("run").path
        let (status, output) = try run(["train", "--config", config, "--output", out])
        XCTAssertEqual(status, 0, output)
        XCTAssert(output.contains("test (best epoch"), output)

        let results = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/results.json"))) as! [String: Any]
        XCTAssertEqual(results["model"] as? String, "lightgcn")
        XCTAssertEqual(results["dataset"] as? String, "tiny")
        XCTAssertEqual(results["epochs"] as? Int, 3)
        XCTAssertNotNil(results["seconds_per_epoch"] as? Double)
        let test = try XCTUnwrap(results["test"] as? [String: Double])
        for key in ["ndcg@10", "recall@10", "hit@10", "precision@10", "mrr@10", "ndcg@5"] { XCTAssertNotNil(test[key], key) }

        let lines = try String(contentsOfFile: out + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 4, "3 validation records and 1 test record")
        let last = try JSONSerialization.jsonObject(with: Data(lines.last!.utf8)) as! [String: Any]
        XCTAssertEqual(last["split"] as? String, "test")
    }

    // MARK: Checkpoints and run identity

    /// One epoch of a tiny sampled (bpr) config with seed 2020, checkpointed: returns the
    /// folder, the config, the checkpoint folder and the run's output.
    private func checkpointedRun() throws -> (dir: URL, config: String, checkpoints: String, log: String) {
        let dir = try temporaryDirectory()
        let data = try writeSyntheticData(to: dir)
        let config = dir.appendingPathComponent("bpr.yaml").path
        try """
        seed: 2020
        model: {kind: bpr, embedding_size: 8}
        data: {name: tiny, path: \(data), split: ratio, ratios: [0.8, 0.1, 0.1]}
        training: {epochs: 1, batch_size: 64, learning_rate: 0.01, threads: 1}
        evaluation: {topk: [5, 10], valid_metric: ndcg@10}
        cluster: {partitions: 2, prefetch: false}
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let checkpoints = dir.appendingPathComponent("ckpt").path
        let (status, log) = try run(["train", "--config", config, "--checkpoint-dir", checkpoints])
        XCTAssertEqual(status, 0, log)
        return (dir, config, checkpoints, log)
    }

    /// A fresh run into a folder that holds checkpoints is refused before any data is loaded
    /// (retention would otherwise keep the other run's newest ones); `--overwrite-checkpoints`
    /// deletes them first.
    func testAFreshRunRefusesAFolderHoldingCheckpoints() throws {
        let (_, config, checkpoints, _) = try checkpointedRun()
        let (second, refusal) = try run(["train", "--config", config, "--checkpoint-dir", checkpoints])
        XCTAssertEqual(second, 1, refusal)
        XCTAssert(refusal.contains("\(checkpoints) already holds checkpoints") && refusal.contains("--resume")
                  && refusal.contains("--overwrite-checkpoints"), refusal)
        XCTAssertFalse(refusal.contains("dataset tiny"), "refused before the data is loaded: \(refusal)")
        let (third, overwrite) = try run(["train", "--config", config, "--checkpoint-dir", checkpoints, "--overwrite-checkpoints"])
        XCTAssertEqual(third, 0, overwrite)
    }

    /// `--resume` with a seed (or model) other than the checkpoint's is refused, naming each
    /// differing key; more epochs is a supported resume.
    func testResumeRefusesACheckpointOfAnotherRun() throws {
        let (dir, config, checkpoints, log) = try checkpointedRun()
        let (status, refusal) = try run(["train", "--config", config, "--checkpoint-dir", checkpoints, "--resume", "--seed", "7", "--epochs", "2"])
        XCTAssertEqual(status, 1, refusal)
        XCTAssert(refusal.contains("belongs to another run") && refusal.contains("seed 2020 vs 7"), refusal)
        XCTAssertFalse(refusal.contains("dataset tiny"), "refused before the data is loaded: \(refusal)")
        let out = dir.appendingPathComponent("run").path
        let (resumed, more) = try run(["train", "--config", config, "--checkpoint-dir", checkpoints, "--resume", "--epochs", "2", "--output", out])
        XCTAssertEqual(resumed, 0, more)
        XCTAssert(more.contains("resumed from"), more)
        let results = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/results.json"))) as! [String: Any]
        XCTAssertEqual((results["run_id"] as? String)?.count, 16, "\(results)")
        XCTAssertEqual((results["fingerprint"] as? String)?.count, 16, "\(results)")
        XCTAssert(log.contains("run \(results["run_id"] as? String ?? "?")"), "the run id is kept across resumes: \(log)")
    }

    func testUnknownFlagIsAUsageError() throws {
        let (status, output) = try run(["train", "--config", "x.yaml", "--epoch", "3"])
        XCTAssertEqual(status, 64, output)
        XCTAssert(output.contains("--epoch"), output)
    }

    func testBadConfigFailsWithTheKey() throws {
        let dir = try temporaryDirectory()
        let config = dir.appendingPathComponent("bad.yaml").path
        try "training: {epohcs: 3}\n".write(toFile: config, atomically: true, encoding: .utf8)
        let (status, output) = try run(["train", "--config", config])
        XCTAssertEqual(status, 1, output)
        XCTAssert(output.contains("training.epohcs") && output.contains("unknown key"), output)
        XCTAssertFalse(output.contains("Usage:"), "a config error is not a usage error")
    }

    // MARK: CURVE keys

    func testKeygenWritesAPrivateSecretKeyFileAndItsPublicKey() throws {
        let dir = try temporaryDirectory().appendingPathComponent("keys")
        let (status, output) = try run(["keygen", "--output-dir", dir.path])
        XCTAssertEqual(status, 0, output)
        let secretPath = dir.appendingPathComponent("curve.key").path
        let secret = try String(contentsOfFile: secretPath, encoding: .utf8)
        let pub = try String(contentsOfFile: dir.appendingPathComponent("curve.pub").path, encoding: .utf8)
        XCTAssert(secret.hasSuffix("\n") && pub.hasSuffix("\n"), "one line each")
        let secretKey = secret.trimmingCharacters(in: .newlines), publicKey = pub.trimmingCharacters(in: .newlines)
        XCTAssertEqual(try CurveKeyPair.publicKey(fromSecret: secretKey), publicKey)
        let mode = try FileManager.default.attributesOfItem(atPath: secretPath)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o600)
        XCTAssert(output.contains(publicKey) && !output.contains(secretKey), output)

        let (again, refusal) = try run(["keygen", "--output-dir", dir.path])
        XCTAssertEqual(again, 1, refusal)
        XCTAssert(refusal.contains("\(secretPath) already exists"), refusal)
        XCTAssertEqual(try String(contentsOfFile: secretPath, encoding: .utf8), secret, "the old key is kept")

        let (printed, pair) = try run(["keygen"])
        XCTAssertEqual(printed, 0, pair)
        let lines = pair.split(separator: "\n")
        XCTAssertEqual(lines.count, 2, pair)
        XCTAssertEqual(try CurveKeyPair.publicKey(fromSecret: String(lines[1].dropFirst("secret key: ".count))),
                       String(lines[0].dropFirst("public key: ".count)))
    }

    func testBadCurveKeysFailWithTheFileAndWhatWasExpected() throws {
        let dir = try temporaryDirectory()
        let file = dir.appendingPathComponent("curve.key").path
        try "not-a-key\n".write(toFile: file, atomically: true, encoding: .utf8)
        let missing = dir.appendingPathComponent("nowhere.key").path
        let cases: [(args: [String], says: String)] = [
            (["coordinator", "start", "--config", "c.yaml", "--curve-secret-key-file", file],
             "Error: CURVE secret key file \(file): expected 40 characters of the Z85 alphabet"),
            (["coordinator", "start", "--config", "c.yaml", "--curve-secret-key-file", missing],
             "Error: CURVE secret key file \(missing): no such file"),
            (["worker", "join", "--coordinator", "tcp://127.0.0.1:1", "--curve-server-key", "abc"],
             "Error: --curve-server-key: expected 40 characters of the Z85 alphabet (0-9 a-z A-Z .-:+=^!/*?&<>()[]{}@%$#), found 3"),
            // A well-formed key that the (absent) server does not answer: the hint names the likely cause.
            (["worker", "join", "--coordinator", "tcp://127.0.0.1:1", "--join-timeout", "0.5",
              "--curve-server-key", try CurveKeyPair.generate().publicKey],
             "a wrong --curve-server-key looks just like this"),
        ]
        for (args, says) in cases {
            let (status, output) = try run(args)
            XCTAssertEqual(status, 1, output)
            XCTAssert(output.contains(says), output)
            XCTAssertFalse(output.contains("Usage:"), output)
        }
    }

    func testMalformedDataFailsWithFileLineColumn() throws {
        let dir = try temporaryDirectory()
        let data = dir.appendingPathComponent("u.data").path
        try "1\t2\t5\t100\n1\t3\tfive\t101\n".write(toFile: data, atomically: true, encoding: .utf8)
        let config = dir.appendingPathComponent("c.yaml").path
        try "data: {path: \(data)}\ntraining: {epochs: 1}\n".write(toFile: config, atomically: true, encoding: .utf8)
        let (status, output) = try run(["train", "--config", config])
        XCTAssertEqual(status, 1, output)
        XCTAssert(output.contains("u.data:2: column 3 (rating): expected a number, found \"five\""), output)
    }
}
