import Foundation
import TestSupport
import XCTest

/// LightGCN, whose step reads the whole graph, across processes: each worker is assigned the
/// whole adjacency, and 2 workers, 2 workers + 2 parameter-server processes, and a run whose
/// worker is SIGKILLed and replaced all give exactly the numbers of one process.
final class WholeGraphRunTests: XCTestCase {
    func testLightGCNGivesTheNumbersOfOneProcessInEveryLayout() throws {
        let h = try Harness(name: "lightgcn-cluster")
        let data = try TestData.movieLens100K()
        try """
        seed: 5
        model: {kind: lightgcn, embedding_size: 32, layers: 2, reg_weight: 0.001}
        data: {name: ml-100k, path: \(data), split: ratio, ratios: [0.8, 0.1, 0.1]}
        training: {epochs: 3, batch_size: 2048, optimizer: adam, learning_rate: 0.005, threads: 1}
        evaluation: {topk: [10], valid_metric: ndcg@10}
        cluster: {partitions: 2, mode: sync, heartbeat_ms: 100, worker_timeout_ms: 1000, takeover_ms: 20000}
        """.write(toFile: h.config, atomically: true, encoding: .utf8)
        let reference = try h.trainOneProcess()
        XCTAssertGreaterThan(reference.test["ndcg@10"] ?? 0, 0.1)
        for servers in [0, 2] {
            XCTAssertEqual(try h.runTwoWorkers(servers: servers, output: "cluster\(servers)"), reference, "\(servers) server processes")
        }
        XCTAssert(try h.log("w0").contains("edges"), "the worker logs its assignment")

        // A worker killed once training is under way (epoch 1 logged: a fixed sleep let the
        // whole run, about a second, end first), and a replacement that joins.
        let log = try h.runKillingAWorker(port: Harness.freePort(), output: "killed") {
            try h.waitFor(log: "coordinator", containing: "epoch 1 ", seconds: 120)
        }
        XCTAssertEqual(try h.result("killed"), reference, "a worker killed and replaced")
        let lost = try XCTUnwrap(log.range(of: "worker lost"))
        XCTAssert(log[lost.upperBound...].contains("epoch 3 "), "the kill came before the last epoch ended:\n\(log)")

        // The run's cluster.jsonl has its epochs and the loss on the timeline, and the report draws them.
        let folder = h.dir.appendingPathComponent("killed")
        let lines = try String(contentsOf: folder.appendingPathComponent("cluster.jsonl"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.filter { $0.contains(#""kind":"epoch""#) }.count, 3)
        XCTAssertEqual(lines.filter { $0.contains(#""kind":"worker_lost""#) }.count, 1)
        XCTAssertGreaterThanOrEqual(lines.filter { $0.contains(#""kind":"worker_joined""#) }.count, 3, "w0, w1 and the replacement")
        let (status, output) = try Harness.run(["report", folder.path])
        XCTAssertEqual(status, 0, output)
        let page = try String(contentsOf: folder.appendingPathComponent("report.html"), encoding: .utf8)
        for text in ["<h2>Cluster</h2>", "seconds per phase (summed over workers)", "worker lost", "steps per second"] {
            XCTAssert(page.contains(text), "no '\(text)' in the report")
        }
    }
}
