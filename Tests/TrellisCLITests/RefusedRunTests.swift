import Foundation
import XCTest

/// Commands refuse what cannot work, early and in words, and a failed run leaves no results.
final class RefusedRunTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-refused-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: dir)
    }

    /// A config over a small u.data file (30 users, 10 ratings each, or `rows`).
    private func config(model: String = "{kind: lightgcn, embedding_size: 8, layers: 1}", training: String = "{epochs: 2, batch_size: 64, threads: 1}",
                        rows: String? = nil) throws -> String {
        var lines: [String] = []
        for user in 1...30 { for k in 0..<10 { lines.append("\(user)\t\((user + k) % 20 + 1)\t4\t\(880_000_000 + user * 100 + k)") } }
        let data = dir.appendingPathComponent("u.data").path
        try (rows ?? lines.joined(separator: "\n")).write(toFile: data, atomically: true, encoding: .utf8)
        let path = dir.appendingPathComponent("c.yaml").path
        try """
        model: \(model)
        data: {path: \(data)}
        training: \(training)
        evaluation: {topk: [5, 10], valid_metric: ndcg@10}
        cluster: {partitions: 2}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func assertRefused(_ arguments: [String], says text: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let (status, output) = try Harness.run(arguments)
        XCTAssertEqual(status, 1, output, file: file, line: line)
        XCTAssert(output.contains(text), output, file: file, line: line)
        XCTAssertFalse(output.contains("NSCocoaErrorDomain") || output.contains("Usage:"), output, file: file, line: line)
        return output
    }

    // MARK: --output

    func testOutputThatIsAFileIsRefusedBeforeTheDataLoads() throws {
        let cfg = try config(model: "{kind: bpr, embedding_size: 8}")  // one the coordinator runs
        let file = dir.appendingPathComponent("taken").path
        try "x".write(toFile: file, atomically: true, encoding: .utf8)
        for args in [["train", "--config", cfg, "--output", file],
                     ["train", "--config", cfg, "--output", file + "/below"],
                     ["coordinator", "start", "--config", cfg, "--listen", "tcp://127.0.0.1:1", "--output", file]] {
            let output = try assertRefused(args, says: "--output \(args.last!): ")
            XCTAssertFalse(output.contains("dataset "), "refused only after loading the data:\n\(output)")
        }
    }

    // MARK: Failed runs

    func testDivergingRunSaysSoAndLeavesNoMetrics() throws {
        for model in ["{kind: lightgcn, embedding_size: 8, layers: 1}", "{kind: bpr, embedding_size: 8}"] {
            let cfg = try config(model: model, training: "{epochs: 2, batch_size: 64, optimizer: sgd, learning_rate: 1e30, threads: 1}")
            let out = dir.appendingPathComponent("run").path
            _ = try assertRefused(["train", "--config", cfg, "--output", out], says: "training diverged at epoch 1, step ")
            for name in ["metrics.jsonl", "results.json"] {
                XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/" + name), "\(model): a failed run left \(name)")
            }
        }
    }

    /// `TRELLIS_KERNELS` names a kernel version; a typo stops the process with a message
    /// rather than running the slowest version in silence; a right name runs.
    func testAnUnknownKernelVersionIsRefused() throws {
        let bad = try Harness.tool(["TRELLIS_KERNELS=avx-512", Harness.binary.path, "--help"])
        XCTAssertEqual(bad.status, 2)
        XCTAssert(bad.output.contains("TRELLIS_KERNELS=avx-512: expected baseline, avx2 or avx512"), bad.output)
        XCTAssertEqual(try Harness.tool(["TRELLIS_KERNELS=baseline", Harness.binary.path, "--help"]).status, 0)
    }

    func testEmptyInteractionFileIsRefused() throws {
        let cfg = try config(rows: "")
        let out = dir.appendingPathComponent("run").path
        _ = try assertRefused(["train", "--config", cfg, "--output", out], says: "at least one interaction")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/metrics.jsonl"))
    }
}
