import Foundation
import TrellisTransport
import TrellisWire
import XCTest

/// Real multi-process runs on loopback: a coordinator and workers as separate `trellis`
/// processes, checked against the one-process run of the same config (sync mode is
/// bit-identical, so test metrics must be equal, not close).
final class ClusterProcessTests: XCTestCase {
    // MARK: Scenarios

    func testOneProcessAndOneTwoThreeWorkersGiveIdenticalMetrics() throws {
        let h = try Harness(name: "layouts")
        let reference = try h.trainOneProcess()
        for workers in 1...3 {
            let port = Harness.freePort()
            let coordinator = try h.startCoordinator(port: port, workers: workers, output: "cluster\(workers)")
            let started = try (0..<workers).map { try h.startWorker(port: port, name: "w\($0)") }
            try h.waitForExit(coordinator, seconds: 240)
            for w in started { try h.waitForExit(w, seconds: 30) }
            XCTAssertEqual(try h.result("cluster\(workers)"), reference, "\(workers) workers")
        }
    }

    func testKilledWorkerIsReplacedAndTheRunMatchesAnUninterruptedOne() throws {
        let h = try Harness(name: "kill-worker")
        let reference = try h.trainOneProcess()
        // Killed once epoch 1 is logged; the assertion at the end checks an epoch ended after it.
        let log = try h.runKillingAWorker(port: Harness.freePort()) {
            try h.waitFor(log: "coordinator", containing: "epoch 1 ", seconds: 120)
        }
        XCTAssertEqual(try h.result("run"), reference)
        // The loss happened while training was under way: at least one epoch ended after it.
        let lost = try XCTUnwrap(log.range(of: "worker lost"))
        XCTAssert(log[lost.upperBound...].contains("epoch 2 "), log)
    }

    /// Killed when the first evaluation round on the workers starts (a round takes a fraction of
    /// a second here, so the kill may land just after it): whatever the round lost is redone by
    /// the replacement, and no number changes.
    func testAWorkerKilledAsAnEvaluationRoundStartsChangesNoNumber() throws {
        let h = try Harness(name: "kill-evaluating")
        let reference = try h.trainOneProcess()
        let log = try h.runKillingAWorker(port: Harness.freePort()) {
            try h.waitFor(log: "coordinator", containing: "evaluating on the workers", seconds: 120)
        }
        XCTAssertEqual(try h.result("run"), reference)
        XCTAssert(log.contains("evaluated on the workers"), "the workers evaluated:\n\(log)")
    }

    func testSurvivorsAbsorbAnOrphanedPartitionWhenNoReplacementComes() throws {
        // Without prefetch: workers sample on their main thread, answering each other meanwhile.
        let h = try Harness(name: "absorb", takeoverMilliseconds: 500, prefetch: false)
        let reference = try h.trainOneProcess()
        let port = Harness.freePort()
        let coordinator = try h.startCoordinator(port: port, workers: 2, output: "run")
        let w0 = try h.startWorker(port: port, name: "w0")
        let w1 = try h.startWorker(port: port, name: "w1")
        try h.waitFor(log: "coordinator", containing: "run started", seconds: 60)
        Thread.sleep(forTimeInterval: 1.0)
        kill(w1.processIdentifier, SIGKILL)
        try h.waitForExit(coordinator, seconds: 240)
        try h.waitForExit(w0, seconds: 30)
        XCTAssertEqual(try h.result("run"), reference)
        // The absorption happened while training was under way: an epoch ended after it.
        let log = try h.log("coordinator")
        let absorbed = try XCTUnwrap(log.range(of: "survivors absorb"), log)
        XCTAssert(log[absorbed.upperBound...].contains("epoch 2 "), log)
    }

    /// A worker whose heartbeats go on while its compute is stuck is caught by
    /// `task_timeout_ms`; the survivor absorbs its partitions and the numbers do not change.
    func testAHungWorkerIsDroppedAndTheSurvivorFinishesTheRun() throws {
        let h = try Harness(name: "hung", takeoverMilliseconds: 300, taskTimeoutMilliseconds: 2000)
        let reference = try h.trainOneProcess()
        let port = Harness.freePort()
        let coordinator = try h.startCoordinator(port: port, workers: 2, output: "run")
        let w0 = try h.startWorker(port: port, name: "w0")
        let hung = try h.startWorker(port: port, name: "w1", extra: ["--test-hang-after-tasks", "5"])
        try h.waitForExit(coordinator, seconds: 240)
        try h.waitForExit(w0, seconds: 30)
        XCTAssertTrue(hung.isRunning, "the hung worker is still alive (heartbeating)")
        let log = try h.log("coordinator")
        XCTAssert(log.contains("(hung)"), log)
        XCTAssert(log.contains("survivors absorb"), log)
        XCTAssertEqual(try h.result("run"), reference)
    }

    /// `trellis train` (sampled models) checkpoints too: one epoch, then `--resume` for the
    /// second, gives the numbers of two epochs in one go.
    func testTrainResumesFromItsCheckpoint() throws {
        let h = try Harness(name: "train-resume", checkpointEvery: 10)
        let reference = try h.trainOneProcess()
        let checkpoints = h.dir.appendingPathComponent("train-checkpoints").path
        _ = try h.train(["--epochs", "1", "--checkpoint-dir", checkpoints], log: "first")
        let second = try h.train(["--checkpoint-dir", checkpoints, "--resume", "--output", h.dir.appendingPathComponent("run").path], log: "second")
        XCTAssert(second.contains("resumed from"), second)
        XCTAssert(second.contains("at epoch 2, step 0"), "resumed after epoch 1, not from the start:\n\(second)")
        XCTAssertEqual(try h.result("run"), reference)
    }

    func testKilledCoordinatorResumesFromItsCheckpoint() throws {
        let h = try Harness(name: "kill-coordinator", checkpointEvery: 10)
        let reference = try h.trainOneProcess()
        let port = Harness.freePort()
        let first = try h.startCoordinator(port: port, workers: 2, output: "run", checkpoints: true)
        let w0 = try h.startWorker(port: port, name: "w0")
        let w1 = try h.startWorker(port: port, name: "w1")
        // After epoch 1 and a mid-epoch checkpoint of epoch 2.
        try h.waitFor(log: "coordinator", containing: "step=10 [TrellisCluster] checkpoint written", after: "epoch 1 ", seconds: 120)
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        let second = try h.startCoordinator(port: port, workers: 2, output: "run", checkpoints: true, resume: true, logName: "coordinator2")
        try h.waitForExit(second, seconds: 60)
        try h.waitForExit(w0, seconds: 30)
        try h.waitForExit(w1, seconds: 30)
        let resumed = try h.log("coordinator2")
        XCTAssert(resumed.contains("resumed"), resumed)
        try Self.assertResumedMidEpoch2(resumed)
        XCTAssertEqual(try h.result("run"), reference)
    }

    /// Tables sharded over two `trellis server start` processes (dense weights on shard 0):
    /// the same numbers as one process, also across a coordinator killed and resumed (the
    /// servers notice, join again and take the checkpoint's state).
    func testParameterServerProcessesGiveIdenticalMetricsAndSurviveACoordinatorRestart() throws {
        let h = try Harness(name: "servers", checkpointEvery: 10)
        let reference = try h.trainOneProcess()
        try h.runWithTheCoordinatorKilled(checkpoint: "step=10 [TrellisCluster] checkpoint written", after: "epoch 1 ")
        let log = try h.log("coordinator") + h.log("coordinator2")
        XCTAssert(log.contains("server ready"), log)
        try Self.assertResumedMidEpoch2(try h.log("coordinator2"))
        XCTAssert(try h.log("s0").contains("holding shard"))
        XCTAssertEqual(try h.result("run"), reference)
    }

    func testMalformedAndUnauthenticatedFramesAreRejectedWhileTrainingGoesOn() throws {
        let h = try Harness(name: "malformed", token: "s3cret")
        let reference = try h.trainOneProcess()
        let port = Harness.freePort()
        let coordinator = try h.startCoordinator(port: port, workers: 1, output: "run")
        let w0 = try h.startWorker(port: port, name: "w0")
        try h.waitFor(log: "coordinator", containing: "run started", seconds: 60)
        let intruder = try ZMQSocket(.dealer)
        try intruder.connect("tcp://127.0.0.1:\(port)")
        let valid = Frame(kind: 4, header: [1, 2, 3, 4, 5, 6, 7, 8]).encode()  // a task request for a made-up session
        var badVersion = valid; badVersion[4] = 9
        var badCRC = valid; badCRC[valid.count - 1] ^= 0xFF
        var hugeLength = valid; hugeLength[10] = 0xFF; hugeLength[11] = 0xFF; hugeLength[12] = 0xFF; hugeLength[13] = 0x7F
        let badToken = Frame(kind: 1, header: Self.strings(["wrong", "intruder"])).encode()
        let badKind = Frame(kind: 999, header: []).encode()
        for bytes in [Array("not a frame".utf8), badVersion, badCRC, hugeLength, Array(valid.prefix(7)), badToken, badKind, valid] {
            try intruder.send(parts: [bytes])
        }
        try h.waitForExit(coordinator, seconds: 240)
        try h.waitForExit(w0, seconds: 30)
        intruder.close()
        let log = try h.log("coordinator")
        XCTAssert(log.contains("rejected a frame"), log)
        XCTAssert(log.contains("wrong cluster token"), log)
        XCTAssert(log.contains("unknown session"), log)
        XCTAssertEqual(try h.result("run"), reference)
    }

    func testAWorkerOrServerWithTheWrongTokenIsRefusedWithAClearError() throws {
        let h = try Harness(name: "token", token: "s3cret")
        let port = Harness.freePort()
        let coordinator = try h.startCoordinator(port: port, workers: 1, output: "run")
        let intruder = try h.start(["worker", "join", "--coordinator", "tcp://127.0.0.1:\(port)", "--token", "guess",
                                    "--join-timeout", "30"], log: "intruder")
        intruder.waitUntilExit()
        XCTAssertEqual(intruder.terminationStatus, 1)
        let said = try h.log("intruder")
        XCTAssert(said.contains("the coordinator refused this worker: wrong cluster token"), said)
        XCTAssert(try h.log("coordinator").contains("rejected a join: wrong cluster token"))
        // A parameter-server process with the wrong token is turned away just as clearly.
        let server = try h.start(["server", "start", "--coordinator", "tcp://127.0.0.1:\(port)", "--listen", "tcp://127.0.0.1:\(Harness.freePort())",
                                  "--token", "guess", "--join-timeout", "30"], log: "server")
        let deadline = Date().addingTimeInterval(20)  // bounded: a server that keeps retrying fails here
        while server.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        XCTAssertFalse(server.isRunning, "the refused server should exit")
        if !server.isRunning { XCTAssertEqual(server.terminationStatus, 1) }
        let serverSaid = try h.log("server")
        XCTAssert(serverSaid.contains("the coordinator refused this server: wrong cluster token"), serverSaid)
        XCTAssert(try h.log("coordinator").contains("rejected a server: wrong cluster token"))
        kill(coordinator.processIdentifier, SIGKILL)
    }

    func testCurveEncryptedRunWithKeygenKeysMatchesThePlaintextOne() throws {
        let h = try Harness(name: "curve")
        let reference = try h.trainOneProcess()
        let keys = h.dir.appendingPathComponent("keys")
        try h.waitForExit(try h.start(["keygen", "--output-dir", keys.path], log: "keygen"), seconds: 30)
        let serverKey = try String(contentsOf: keys.appendingPathComponent("curve.pub"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let port = Harness.freePort()
        let coordinator = try h.startCoordinator(port: port, workers: 2, output: "run",
                                                 extra: ["--curve-secret-key-file", keys.appendingPathComponent("curve.key").path])
        let workers = try (0..<2).map { try h.startWorker(port: port, name: "w\($0)", extra: ["--curve-server-key", serverKey]) }
        try h.waitFor(log: "coordinator", containing: "run started", seconds: 60)
        // A plaintext peer's bytes never reach the coordinator (a plaintext one would log "rejected a frame").
        let plaintext = try ZMQSocket(.dealer)
        try plaintext.connect("tcp://127.0.0.1:\(port)")
        try plaintext.send(parts: [Array("not a frame".utf8)])
        try h.waitForExit(coordinator, seconds: 240)
        for w in workers { try h.waitForExit(w, seconds: 30) }
        plaintext.close()
        let log = try h.log("coordinator")
        XCTAssert(log.contains("public_key=\(serverKey)"), "the coordinator logs the public key of curve.key:\n\(log)")
        XCTAssertFalse(log.contains("rejected a frame"), log)
        XCTAssertEqual(try h.result("run"), reference)
    }

    /// A run that diverges stops the coordinator with the reason, and the coordinator tells
    /// every worker and server process, which exit with it at once instead of waiting out
    /// their 30 s join timeout.
    func testADivergingRunStopsEveryProcessWithTheReason() throws {
        let h = try Harness(name: "diverge")
        let text = try String(contentsOfFile: h.config, encoding: .utf8)
            .replacingOccurrences(of: "optimizer: adam, learning_rate: 0.002", with: "optimizer: sgd, learning_rate: 1e30")
        try text.write(toFile: h.config, atomically: true, encoding: .utf8)
        let port = Harness.freePort()
        let coordinator = try h.startCoordinator(port: port, workers: 2, output: "run", extra: ["--servers", "1"])
        let server = try h.startServer(port: port, listenPort: Harness.freePort(), name: "s0")
        let workers = try (0..<2).map { try h.startWorker(port: port, name: "w\($0)") }
        let started = Date()
        for p in [coordinator, server] + workers {
            XCTAssertEqual(try h.waitForFailure(p, seconds: 60), 1, "\(p.arguments ?? [])")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 25, "nobody waited out the join timeout")
        let said = try h.log("coordinator")
        XCTAssert(said.contains("training diverged at epoch 1, step "), said)
        for name in ["w0", "w1", "s0"] {
            let log = try h.log(name)
            XCTAssert(log.contains("the coordinator stopped the run: training diverged"), "\(name):\n\(log)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: h.dir.appendingPathComponent("run/metrics.jsonl").path), "a failed run writes no metrics")
    }

    /// The resumed coordinator started in epoch 2 at a step past 0 (the mid-epoch checkpoint),
    /// not from the beginning.
    static func assertResumedMidEpoch2(_ log: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let resumed = try XCTUnwrap(log.split(separator: "\n").first { $0.contains("] resumed") }, log, file: file, line: line)
        XCTAssert(resumed.contains("epoch=2 "), "\(resumed)", file: file, line: line)
        XCTAssertFalse(resumed.contains("step=0 "), "\(resumed)", file: file, line: line)
    }

    static func strings(_ values: [String]) -> [UInt8] {
        var w = ByteWriter()
        for v in values { w.string(v) }
        return w.bytes
    }
}
