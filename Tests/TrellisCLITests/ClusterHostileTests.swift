import Foundation
import TestSupport
@testable import TrellisCluster
import TrellisCore
import TrellisGraph
import TrellisTensor
import TrellisTraining
import TrellisTransport
import TrellisWire
import XCTest

/// Real runs with a peer that lies: strangers, a spare member that asks for nonsense, a
/// peer that fakes a dead worker's heartbeats, and a coordinator that stops for a while. Each
/// run must end with the numbers of the undisturbed one-process run.
final class ClusterHostileTests: XCTestCase {
    /// A peer speaking the protocol by hand over one DEALER socket. Sends never block for long
    /// (a peer that stops reading must not hang the test): a frame that does not fit the queue
    /// within 100 ms is dropped and counted.
    final class Peer {
        private(set) var sent = 0, dropped = 0
        let socket: ZMQSocket
        init(port: Int) throws {
            socket = try ZMQSocket(.dealer)
            try socket.setSendTimeout(milliseconds: 100)
            try socket.connect("tcp://127.0.0.1:\(port)")
        }
        deinit { socket.close() }
        func send(_ m: Message) throws { try send(raw: m.frame().frame.encode()) }
        func send(raw: [UInt8]) throws {
            if (try? socket.send(parts: [raw])) == true { sent += 1 } else { dropped += 1 }
        }
        func receive(timeoutMilliseconds: Int) throws -> Message? {
            guard let bytes = try socket.receive(timeoutMilliseconds: timeoutMilliseconds)?.last else { return nil }
            return try Message.decode(Frame.decode(bytes, maxBodyBytes: 1 << 28), limits: WireLimits())
        }
    }

    /// The session the coordinator gave worker `name`, from its log.
    static func session(of name: String, in log: String) throws -> UInt64 {
        let line = try XCTUnwrap(log.split(separator: "\n").first { $0.contains("worker joined") && $0.contains("name=\(name) ") }, log)
        let value = try XCTUnwrap(line.split(separator: " ").first { $0.hasPrefix("session=") }, String(line))
        return try XCTUnwrap(UInt64(value.dropFirst("session=".count)), String(line))
    }

    /// A worker killed while a stranger sends heartbeats in its name is still declared lost
    /// within the heartbeat timeout (1 s here), not after the 60 s task timeout: liveness
    /// counts only from the socket that first beat for the session.
    func testAStrangersHeartbeatsDoNotKeepADeadWorkerAlive() throws {
        let h = try Harness(name: "spoof")
        let reference = try h.trainOneProcess()
        let port = Harness.freePort()
        let (coordinator, workers) = try h.startRun(port: port, workers: 2)
        let (w0, w1) = (workers[0], workers[1])
        let session = try Self.session(of: "w1", in: try h.log("coordinator"))
        Thread.sleep(forTimeInterval: 0.5)
        kill(w1.processIdentifier, SIGKILL)
        let stranger = try Peer(port: port)
        let deadline = Date().addingTimeInterval(8)
        while Date() < deadline, !(try h.log("coordinator").contains("worker lost")) {
            try stranger.send(.heartbeat(session: session, progress: 0))
            Thread.sleep(forTimeInterval: 0.05)
        }
        let log = try h.log("coordinator")
        XCTAssert(log.contains("worker lost"), "w1 was kept alive by a stranger's heartbeats:\n\(log)")
        XCTAssert(log.contains("rejected a message: session used from another socket"), log)
        try h.finish(coordinator, [w0, try h.startWorker(port: port, name: "w2")])
        XCTAssertEqual(try h.result("run"), reference)
    }

    /// A coordinator stopped (SIGSTOP) for 5 s, over twice the heartbeat timeout, does not
    /// declare its live workers dead when it continues: its own stall is not their silence.
    /// (The timeout is 2 s here, not 1 s: on two busy cores a starved heartbeat thread must
    /// not pass for the stall.)
    func testAStalledCoordinatorDoesNotBlameItsWorkers() throws {
        let h = try Harness(name: "stall", workerTimeoutMilliseconds: 2000)
        let reference = try h.trainOneProcess()
        let (coordinator, workers) = try h.startRun(port: Harness.freePort(), workers: 2)
        Thread.sleep(forTimeInterval: 0.5)
        kill(coordinator.processIdentifier, SIGSTOP)
        Thread.sleep(forTimeInterval: 5)
        kill(coordinator.processIdentifier, SIGCONT)
        try h.finish(coordinator, workers)
        let log = try h.log("coordinator")
        XCTAssert(log.contains("loop stalled"), log)
        XCTAssertFalse(log.contains("worker lost"), log)
        XCTAssertEqual(try h.result("run"), reference)
    }

    /// A member (a spare worker) that asks for samples no owner could give gets a refusal for
    /// every request at once, instead of leaving them in the coordinator's table for ever.
    func testUnanswerableSamplingRequestsAreRefusedNotKept() throws {
        let h = try Harness(name: "samples")
        let reference = try h.trainOneProcess()
        let port = Harness.freePort()
        let (coordinator, workers) = try h.startRun(port: port, workers: 1)
        let spare = try Peer(port: port)
        try spare.send(.join(token: "", name: "spare"))
        var session: UInt64?
        let joinBy = Date().addingTimeInterval(10)
        while session == nil, Date() < joinBy {
            if case .welcome(let w) = try spare.receive(timeoutMilliseconds: 100) { session = w.session }
        }
        let s = try XCTUnwrap(session, "the spare was welcomed")
        let tag = SampleTag(seed: 7, epoch: 1, step: 0, hop: 0)
        // Node -1, a node past the graph, a node past the other relation's graph, fanout 0, a bad node after a good one.
        let bad: [(nodes: [Int32], relation: Int, fanout: Int)] = [([-1], 0, 5), ([1_000_000], 0, 5), ([5000], 1, 5), ([1], 0, 0), ([1, -5], 0, 5)]
        let count = 600
        for k in 0..<count {
            try spare.send(.heartbeat(session: s, progress: 0))  // alive throughout, however slowly this loop runs
            let b = bad[k % bad.count]
            try spare.send(.sampleRequest(SampleRequest(session: s, requestID: UInt64(k), owner: 0, relation: b.relation,
                                                        fanout: b.fanout, tag: tag, nodes: b.nodes)))
        }
        var refused = Set<UInt64>()
        let answerBy = Date().addingTimeInterval(20)
        while refused.count < count, Date() < answerBy {
            if case .sampleRefused(_, let id, _) = try spare.receive(timeoutMilliseconds: 100) { refused.insert(id) }
        }
        XCTAssertEqual(refused.count, count, "every request was answered with a refusal; missing kinds \(Set((0..<count).filter { !refused.contains(UInt64($0)) }.map { $0 % bad.count }))")
        try h.finish(coordinator, workers)
        XCTAssertEqual(try h.result("run"), reference)
    }

    // MARK: A hostile peer during a run

    /// A shard state of one table of `count` floats whose LZ4 payload inflates to zeros: 2 MB
    /// on the wire for 512 MB declared.
    static func bomb(count: Int) -> [UInt8] {
        var w = ByteWriter()
        w.u32(0); w.u64(0); w.u32(0); w.f64(0)
        w.u32(1); w.u32(2); w.u64(1); w.u64(UInt64(count))
        let payload = HostileBytes.zeroBomb(count * 4)
        w.u32(UInt32(count)); w.u8(ValueEncoding.float32.rawValue); w.u8(2); w.u32(UInt32(payload.count)); w.raw(payload)
        w.u32(0); w.u64(0); w.u32(0); w.u64(0); w.u32(0)
        return Frame(kind: Message.Kind.shardState.rawValue, header: w.bytes).encode()
    }

    /// Frames of every kind with random contents and valid CRCs.
    static func garbage(count: Int, seed: UInt64) -> [[UInt8]] {
        var rng = SeededGenerator(seed: seed)
        let kinds = Message.Kind.allCases.map(\.rawValue) + [0, 999]
        return (0..<count).map { k in
            let length = Int(rng.next() % 512)
            let header = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            return Frame(kind: kinds[k % kinds.count], header: header).encode()
        }
    }

    /// Thousands of random frames of every kind, oversized joins and 512 MB LZ4 bombs, sent by
    /// a stranger to the coordinator and to a parameter-server process, and by a member of the
    /// server (it knows the token) that pushes without grants: nobody crashes, the numbers are
    /// those of the undisturbed run, and both processes stay under 200 MB at their peak.
    ///
    /// The bound: a stranger's frame is dropped after its CRC, before anything in it is
    /// decoded, so it costs at most its own size, and the sockets refuse frames larger than
    /// the run's state allows (16 bytes per state float plus 64 MiB: about 70 MB here), so
    /// what is queued costs at most its own bytes; undisturbed, this run peaks near 93 MB
    /// (coordinator) and 40 MB (server), and disturbed about 8 and 20 MB higher.
    func testAHostilePeerCostsBoundedMemoryAndChangesNothing() throws {
        let h = try Harness(name: "hostile", token: "s3cret")
        let reference = try h.trainOneProcess()
        let port = Harness.freePort(), serverPort = Harness.freePort()
        let coordinator = try h.startCoordinator(port: port, workers: 2, output: "run", extra: ["--servers", "1"])
        let server = try h.startServer(port: port, listenPort: serverPort, name: "s0")
        let workers = try (0..<2).map { try h.startWorker(port: port, name: "w\($0)") }
        try h.waitFor(log: "coordinator", containing: "run started", seconds: 60)
        let toCoordinator = try Peer(port: port), toServer = try Peer(port: serverPort), member = try Peer(port: serverPort)
        try member.send(.join(token: "s3cret", name: "member"))
        XCTAssertEqual(try member.receive(timeoutMilliseconds: 5000), .ack(applied: false), "the member joined the server")
        // Well-formed pushes for every partition and the first steps, with made-up grants: a
        // server that took them would change the model (the old one did).
        let config = try TrainingConfig.load(path: h.config)
        let denseCount = try TrainingPlan.makeModel(config, relations: GraphTopology.userItemRelations, nodeTypeCount: 2).parameters.dense.count
        let forged = (0..<40).flatMap { step in (0..<4).map { p in
            Message.push(session: 1, globalStep: step, contribution: Contribution(
                step: StepID(epoch: 1, step: step), partition: p,
                rows: [RowGradient(dimension: 32, rowIDs: [0], values: Array(repeating: 1, count: 32)), RowGradient(dimension: 32)],
                dense: Array(repeating: nil, count: denseCount), loss: 0.5, triples: 1, share: 0.25), timings: [], grant: Grant(tag: UInt64(step * 4 + p), reductions: 0))
        } }
        for push in forged { try member.send(push) }
        let bomb = Self.bomb(count: 1 << 27)
        let oversizedJoin = Message.join(token: String(repeating: "x", count: 100_000), name: "big").frame().frame.encode()
        for (round, frames) in [Self.garbage(count: 1000, seed: 1), Self.garbage(count: 1000, seed: 2)].enumerated() {
            for (k, frame) in frames.enumerated() {
                try toCoordinator.send(raw: frame)
                try toServer.send(raw: frame)
                try member.send(raw: frame)
                if k % 200 == 0 {
                    for peer in [toCoordinator, toServer, member] { try peer.send(raw: bomb); try peer.send(raw: oversizedJoin) }
                }
            }
        }
        try h.finish(coordinator, [server] + workers)
        XCTAssertEqual(try h.result("run"), reference)
        let coordinatorLog = try h.log("coordinator"), serverLog = try h.log("s0")
        XCTAssert(coordinatorLog.contains("rejected a message"), coordinatorLog)
        XCTAssert(serverLog.contains("rejected a frame"), serverLog)
        XCTAssert(serverLog.contains("without the coordinator's grant"), serverLog)
        let results = try JSONSerialization.jsonObject(with: Data(contentsOf: h.dir.appendingPathComponent("run/results.json"))) as? [String: Any]
        let coordinatorPeak = try XCTUnwrap(results?["peak_memory_bytes"] as? Int)
        let serverLine = try XCTUnwrap(serverLog.split(separator: "\n").first { $0.contains("peak memory") }, serverLog)
        let serverPeak = try XCTUnwrap(Double(serverLine.split(separator: " ").dropLast().last ?? ""), String(serverLine)) * 1e6
        print("hostile run: frames sent \([toCoordinator, toServer, member].map(\.sent)), dropped \([toCoordinator, toServer, member].map(\.dropped))")
        XCTAssertGreaterThan(toCoordinator.sent, 1000)
        XCTAssertGreaterThan(toServer.sent, 1000)
        print("hostile run: coordinator peak \(coordinatorPeak / 1_000_000) MB, server peak \(Int(serverPeak) / 1_000_000) MB")
        XCTAssertLessThan(coordinatorPeak, 200_000_000)
        XCTAssertLessThan(serverPeak, 200_000_000)
    }
}
