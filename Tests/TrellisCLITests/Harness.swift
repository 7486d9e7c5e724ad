import Foundation
import TestSupport
import XCTest

/// A process test that cannot go on (a timeout, a missing file): a failure, never a skip.
struct HarnessError: Error, CustomStringConvertible {
    let description: String
}

/// What a run wrote that must match between layouts: the test and validation metrics, the
/// best epoch, and every evaluation's loss in `metrics.jsonl` (exact doubles).
struct RunResult: Equatable {
    var test: [String: Double]
    var valid: [String: Double]
    var bestEpoch: Int
    var epochs: Int
    /// "epoch split loss" per line of `metrics.jsonl`.
    var losses: [String]
}

/// Starts `trellis` processes with logs in a temporary folder, waits on them with bounded
/// timeouts, and reads their results. Every process still running at the end is killed.
final class Harness {
    let dir: URL
    let config: String
    let token: String
    private var processes: [Process] = []

    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static var binary: URL {
        for candidate in [Bundle.main.bundleURL, Bundle(for: Harness.self).bundleURL.deletingLastPathComponent()] {
            let url = candidate.appendingPathComponent("trellis")
            if FileManager.default.fileExists(atPath: url.path) { return url }
        }
        return Bundle.main.bundleURL.appendingPathComponent("trellis")
    }

    /// A small GraphSAGE run on MovieLens-100K: 2 epochs, 4 partitions, sync.
    init(name: String, token: String = "", checkpointEvery: Int = 0, takeoverMilliseconds: Int = 20000, prefetch: Bool = true,
         taskTimeoutMilliseconds: Int = 60000, workerTimeoutMilliseconds: Int = 1000) throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-cluster-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        self.token = token
        let data = try TestData.movieLens100K()
        config = dir.appendingPathComponent("sage.yaml").path
        try """
        seed: 7
        model: {kind: sage, aggregator: mean, embedding_size: 32, layers: 2, fanouts: [5, 5], reg_weight: 0.001}
        data: {name: ml-100k, path: \(data), split: ratio, ratios: [0.8, 0.1, 0.1]}
        training: {epochs: 2, batch_size: 2048, optimizer: adam, learning_rate: 0.002, threads: 1}
        evaluation: {topk: [10], valid_metric: ndcg@10}
        cluster: {partitions: 4, mode: sync, checkpoint_every: \(checkpointEvery), heartbeat_ms: 100,
                  worker_timeout_ms: \(workerTimeoutMilliseconds), takeover_ms: \(takeoverMilliseconds), prefetch: \(prefetch),
                  task_timeout_ms: \(taskTimeoutMilliseconds)}
        """.write(toFile: config, atomically: true, encoding: .utf8)
    }

    deinit {
        for p in processes where p.isRunning { kill(p.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: dir)
    }

    /// A port below Linux's ephemeral range (32768-60999): peers start before the coordinator
    /// binds and keep connecting, and a connect to an unbound port in that range can be given
    /// the same port as its own source (a TCP self-connect), which then holds it.
    static func freePort() -> Int { Int.random(in: 20000..<32768) }

    /// Runs `trellis` with `arguments` to completion; returns its exit status and output.
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try run(binary, arguments)
    }

    /// Runs another program found on PATH (`python3`, `chromium`) to completion.
    static func tool(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try run(URL(fileURLWithPath: "/usr/bin/env"), arguments)
    }

    private static func run(_ executable: URL, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @discardableResult
    func start(_ arguments: [String], log: String) throws -> Process {
        let p = Process()
        p.executableURL = Harness.binary
        p.arguments = arguments
        let path = dir.appendingPathComponent("\(log).log").path
        FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        p.standardOutput = handle
        p.standardError = handle
        var env = ProcessInfo.processInfo.environment
        env["TRELLIS_TOKEN"] = token
        p.environment = env
        try p.run()
        processes.append(p)
        return p
    }

    /// `trellis train` with extra arguments, waited for; returns its log.
    func train(_ extra: [String], log name: String) throws -> String {
        try waitForExit(try start(["train", "--config", config] + extra, log: name), seconds: 240)
        return try log(name)
    }

    func trainOneProcess() throws -> RunResult {
        let p = try start(["train", "--config", config, "--output", dir.appendingPathComponent("reference").path], log: "train")
        try waitForExit(p, seconds: 240)
        return try result("reference")
    }

    func startCoordinator(port: Int, workers: Int, output: String, checkpoints: Bool = false, resume: Bool = false,
                          logName: String = "coordinator", extra: [String] = []) throws -> Process {
        var args = ["coordinator", "start", "--config", config, "--listen", "tcp://127.0.0.1:\(port)", "--workers", "\(workers)",
                    "--output", dir.appendingPathComponent(output).path] + extra
        if checkpoints { args += ["--checkpoint-dir", dir.appendingPathComponent("checkpoints").path] }
        if resume { args.append("--resume") }
        return try start(args, log: logName)
    }

    /// A coordinator (log `coordinator`, results in `output`) and workers w0, w1, … on `port`,
    /// returned once the run has started.
    func startRun(port: Int, workers: Int, output: String = "run", extra: [String] = []) throws -> (coordinator: Process, workers: [Process]) {
        let coordinator = try startCoordinator(port: port, workers: workers, output: output, extra: extra)
        let started = try (0..<workers).map { try startWorker(port: port, name: "w\($0)") }
        try waitFor(log: "coordinator", containing: "run started", seconds: 60)
        return (coordinator, started)
    }

    /// A run with 2 workers and `servers` parameter-server processes, waited to its end (results
    /// in `output`); its result.
    func runTwoWorkers(servers: Int, output: String, extra: [String] = []) throws -> RunResult {
        let port = Harness.freePort(), serverPort = Harness.freePort()
        let coordinator = try startCoordinator(port: port, workers: 2, output: output, extra: ["--servers", "\(servers)"] + extra)
        let shards = try (0..<servers).map { try startServer(port: port, listenPort: serverPort + $0, name: "s\($0)") }
        let workers = try (0..<2).map { try startWorker(port: port, name: "w\($0)") }
        try finish(coordinator, shards + workers)
        return try result(output)
    }

    /// A run on `port` with workers w0 and w1, w1 SIGKILLed once `whenToKill` returns (called
    /// with the coordinator's log showing "run started") and replaced by w2, waited to its end
    /// (results in `output`). Returns the coordinator's log.
    func runKillingAWorker(port: Int, output: String = "run", whenToKill: () throws -> Void) throws -> String {
        let coordinator = try startCoordinator(port: port, workers: 2, output: output)
        let w0 = try startWorker(port: port, name: "w0")
        let w1 = try startWorker(port: port, name: "w1")
        try waitFor(log: "coordinator", containing: "run started", seconds: 60)
        try whenToKill()
        kill(w1.processIdentifier, SIGKILL)
        try waitFor(log: "coordinator", containing: "worker lost", seconds: 30)
        let replacement = try startWorker(port: port, name: "w2")
        try finish(coordinator, [w0, replacement])
        return try log("coordinator")
    }

    /// Waits for the coordinator, then for every other process, to exit cleanly.
    func finish(_ coordinator: Process, _ others: [Process]) throws {
        try waitForExit(coordinator, seconds: 240)
        for p in others { try waitForExit(p, seconds: 30) }
    }

    func startWorker(port: Int, name: String, extra: [String] = []) throws -> Process {
        try start(["worker", "join", "--coordinator", "tcp://127.0.0.1:\(port)", "--name", name, "--join-timeout", "30"] + extra, log: name)
    }

    func startServer(port: Int, listenPort: Int, name: String) throws -> Process {
        try start(["server", "start", "--coordinator", "tcp://127.0.0.1:\(port)", "--listen", "tcp://127.0.0.1:\(listenPort)",
                   "--join-timeout", "30"], log: name)
    }

    func log(_ name: String) throws -> String {
        try String(contentsOfFile: dir.appendingPathComponent("\(name).log").path, encoding: .utf8)
    }

    /// Waits until `log` contains `text` (after the first `after`, if given).
    func waitFor(log name: String, containing text: String, after: String? = nil, seconds: Double) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            var s = Substring((try? log(name)) ?? "")
            if let after { s = s.range(of: after).map { s[$0.upperBound...] } ?? "" }
            if s.contains(text) { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        XCTFail("\(name).log never showed '\(text)':\n\((try? log(name)) ?? "")")
        throw HarnessError(description: "timed out waiting for '\(text)' in \(name).log")
    }

    func waitForExit(_ p: Process, seconds: Double) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            let logs = (try? FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".log") }) ?? []
            let text = logs.map { "== \($0)\n" + ((try? String(contentsOfFile: dir.appendingPathComponent($0).path, encoding: .utf8)) ?? "") }
            XCTFail("\(p.arguments?.prefix(2).joined(separator: " ") ?? "") did not exit within \(seconds) s\n" + text.joined(separator: "\n"))
            throw HarnessError(description: "\(p.arguments ?? []) did not exit within \(seconds) s")
        }
        XCTAssertEqual(p.terminationStatus, 0, "\(p.arguments ?? []) exited with \(p.terminationStatus)")
    }

    /// Waits for `p` to exit within `seconds` and returns its status (for runs that must fail).
    func waitForFailure(_ p: Process, seconds: Double) throws -> Int32 {
        let deadline = Date().addingTimeInterval(seconds)
        while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        guard !p.isRunning else {
            kill(p.processIdentifier, SIGKILL)
            throw HarnessError(description: "\(p.arguments ?? []) did not exit within \(seconds) s")
        }
        return p.terminationStatus
    }

    /// The run written to `output`; a missing file or key is an error, not an empty value.
    func result(_ output: String) throws -> RunResult {
        let folder = dir.appendingPathComponent(output)
        let data = try Data(contentsOf: folder.appendingPathComponent("results.json"))
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        func value<T>(_ key: String, _ type: T.Type) throws -> T {
            guard let v = object[key] as? T else { throw HarnessError(description: "\(output)/results.json has no \(key) of type \(T.self)") }
            return v
        }
        var losses: [String] = []
        for line in try String(contentsOf: folder.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n") {
            let record = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
            guard let epoch = record["epoch"] as? Int, let split = record["split"] as? String, let loss = record["loss"] as? Double else {
                throw HarnessError(description: "\(output)/metrics.jsonl: a line without epoch, split and loss: \(line)")
            }
            losses.append("\(epoch) \(split) \(loss)")
        }
        guard !losses.isEmpty else { throw HarnessError(description: "\(output)/metrics.jsonl is empty") }
        return RunResult(test: try value("test", [String: Double].self), valid: try value("valid", [String: Double].self),
                         bestEpoch: try value("best_epoch", Int.self), epochs: try value("epochs", Int.self), losses: losses)
    }
}

extension Harness {
    /// A run of 2 workers and 2 parameter-server processes whose coordinator is SIGKILLed once
    /// its log shows `checkpoint` after `after`, then started again with `--resume`; waits for
    /// every process to end (results in `run`).
    func runWithTheCoordinatorKilled(checkpoint: String, after: String) throws {
        let port = Harness.freePort(), serverPort = Harness.freePort()
        let first = try startCoordinator(port: port, workers: 2, output: "run", checkpoints: true, extra: ["--servers", "2"])
        let servers = try (0..<2).map { try startServer(port: port, listenPort: serverPort + $0, name: "s\($0)") }
        let workers = try (0..<2).map { try startWorker(port: port, name: "w\($0)") }
        try waitFor(log: "coordinator", containing: checkpoint, after: after, seconds: 120)
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        let second = try startCoordinator(port: port, workers: 2, output: "run", checkpoints: true, resume: true,
                                          logName: "coordinator2", extra: ["--servers", "2"])
        try waitForExit(second, seconds: 120)
        for p in servers + workers { try waitForExit(p, seconds: 30) }
    }

    /// The config trained in one process, then by 2 workers of which one is SIGKILLed once
    /// epoch 1 is logged and replaced by a new `worker join`: the run must end with the one
    /// process's numbers, and the kill must have come before epoch 3 ended.
    func checkAKilledWorkerChangesNothing(file: StaticString = #filePath, line: UInt = #line) throws {
        let reference = try trainOneProcess()
        let log = try runKillingAWorker(port: Harness.freePort()) {
            try waitFor(log: "coordinator", containing: "epoch 1 ", seconds: 120)
        }
        XCTAssertEqual(try result("run"), reference, file: file, line: line)
        let lost = try XCTUnwrap(log.range(of: "worker lost"), file: file, line: line)
        XCTAssert(log[lost.upperBound...].contains("epoch 3 "), "the kill came before epoch 3 ended:\n\(log)", file: file, line: line)
    }
}
