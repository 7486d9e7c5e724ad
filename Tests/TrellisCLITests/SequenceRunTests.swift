import Foundation
import TestSupport
import XCTest

/// `task: {kind: next_item}` with SASRec through the real binary: 2 workers (also with 2
/// parameter-server processes) give exactly the numbers of one process, and so does a run
/// whose worker is SIGKILLed and replaced.
final class SequenceRunTests: XCTestCase {
    /// A small SASRec on MovieLens-100K leave-one-out, 4 partitions.
    private func harness(_ name: String, epochs: Int) throws -> Harness {
        let h = try Harness(name: name)
        try """
        seed: 5
        task: {kind: next_item, loss: softmax}
        model: {kind: sasrec, embedding_size: 16, max_length: 20, blocks: 1, heads: 2, dropout: 0.2}
        data: {name: ml-100k, path: \(try TestData.movieLens100K()), split: leave_one_out}
        training: {epochs: \(epochs), batch_size: 256, optimizer: adamw, learning_rate: 0.002, threads: 1}
        evaluation: {valid_metric: ndcg@10, stopping_step: \(epochs)}
        cluster: {partitions: 4, mode: sync, heartbeat_ms: 100, worker_timeout_ms: 1000, takeover_ms: 20000}
        """.write(toFile: h.config, atomically: true, encoding: .utf8)
        return h
    }

    func testTwoWorkersGiveTheNumbersOfOneProcess() throws {
        let h = try harness("sasrec-cluster", epochs: 2)
        let reference = try h.trainOneProcess()
        XCTAssertEqual(reference.test["users"], 943)
        XCTAssertGreaterThan(try XCTUnwrap(reference.test["hit@10"]), 0)
        for servers in [0, 2] {
            XCTAssertEqual(try h.runTwoWorkers(servers: servers, output: "cluster\(servers)"), reference, "\(servers) server processes")
        }
    }

    func testKilledWorkerIsReplacedAndTheRunMatchesOneProcess() throws {
        let h = try harness("sasrec-kill", epochs: 6)
        let reference = try h.trainOneProcess()
        let log = try h.runKillingAWorker(port: Harness.freePort()) {
            try h.waitFor(log: "coordinator", containing: "epoch 1 ", seconds: 120)
        }
        XCTAssertEqual(try h.result("run"), reference)
        let lost = try XCTUnwrap(log.range(of: "worker lost"))
        XCTAssert(log[lost.upperBound...].contains("epoch 3 "), "the kill came before epoch 3 ended:\n\(log)")
    }
}
