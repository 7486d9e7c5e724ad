@testable import TrellisCluster
import TrellisCore
import TrellisGraph
import TrellisTensor
import TrellisTraining
import XCTest

/// Failure schedules of the coordinator, driven through `CoordinatorRole` with a fake clock and
/// no sockets: peers are envelopes, contributions are empty gradients (the schedule, not the
/// numbers, is under test; `ClusterProcessTests` proves the numbers with real processes).
final class CoordinatorRoleTests: XCTestCase {
    /// A role, a clock, and what it said to whom.
    final class Scenario {
        let role: CoordinatorRole
        var now = 0.0
        var sent: [(message: Message, to: [UInt8])] = []
        var checkpoints = 0
        var epochs: [EpochRecord] = []
        /// Membership events for the timeline: (joined, detail).
        var members: [(joined: Bool, detail: String)] = []
        var sessions: [[UInt8]: UInt64] = [:]
        /// Each worker's work count, as its heartbeats report it.
        var progress: [[UInt8]: UInt64] = [:]

        init(workers: Int = 2, partitions: Int = 2, servers: Int = 0, checkpoints: Bool = false, edit: (inout TrainingConfig) -> Void = { _ in }) throws {
            var c = ClusterEngineTests.config("bpr", partitions: partitions)
            c.training.epochs = 2
            c.cluster.workerTimeoutMilliseconds = 1000
            c.cluster.taskTimeoutMilliseconds = 2000
            c.cluster.takeoverMilliseconds = 500
            edit(&c)
            let plan = try TrainingPlan(config: c, dataset: ClusterEngineTests.dataset())
            var settings = CoordinatorRole.Settings()
            settings.workers = workers
            settings.servers = servers
            settings.checkpoints = checkpoints
            settings.grantKey = SipHash(k0: 1, k1: 2)
            role = try CoordinatorRole(run: try TrainingRun(plan: plan, dataset: ClusterEngineTests.dataset()), settings: settings)
        }

        var run: TrainingRun { role.run }

        func deliver(_ m: Message, from e: [UInt8]) throws { try carry(role.handle(.message(m, from: e), now: now)) }

        /// Moves the clock to `t` in 50 ms ticks (as the shell's loop does), with heartbeats
        /// from the workers in `beating` every 100 ms; those in `working` report one more
        /// piece of work done with each.
        func tick(until t: Double, beating: [[UInt8]] = [], working: [[UInt8]] = []) throws {
            var beat = 0
            while now < t - 1e-9 {
                now = min(t, now + 0.05)
                beat += 1
                if beat % 2 == 0 {
                    for e in beating {
                        guard let s = sessions[e] else { continue }
                        if working.contains(e) { progress[e, default: 0] += 1 }
                        try deliver(.heartbeat(session: s, progress: progress[e, default: 0]), from: e + [0xb])
                    }
                }
                try carry(role.handle(.tick, now: now))
            }
        }

        func carry(_ directives: [CoordinatorRole.Directive]) throws {
            for d in directives {
                switch d {
                case .send(let m, let e):
                    sent.append((m, e))
                    if case .welcome(let w) = m { sessions[e] = w.session }
                case .assign(let partitions, let session, let e):
                    sent.append((.assignment(try run.plan.assignment(session: session, partitions: partitions)), e))
                case .saveCheckpoint:
                    checkpoints += 1
                    try carry(role.handle(.checkpointSaved, now: now))
                case .epochEnded(let record, _, _):
                    epochs.append(record)
                case .membership(let joined, let detail):
                    members.append((joined, detail))
                case .evaluationStarted, .evaluationEnded:
                    break
                }
            }
        }

        /// Messages sent to `e` since the last call.
        func inbox(_ e: [UInt8]) -> [Message] {
            defer { sent.removeAll { $0.to == e } }
            return sent.filter { $0.to == e }.map(\.message)
        }

        func join(_ e: [UInt8]) throws { try deliver(.join(token: "", name: "w\(e[0])"), from: e) }

        /// The worker at `e` asks for a task; returns it (partition, global step, grant).
        func task(_ e: [UInt8]) throws -> (partition: Int, step: Int, grant: Grant)? {
            try deliver(.taskRequest(session: sessions[e]!), from: e)
            try carry(role.handle(.tick, now: now))
            for m in inbox(e) {
                if case .task(_, let p, let epoch, let step, let grant) = m {
                    return (p, StepID(epoch: epoch, step: step).global(stepsPerEpoch: run.stepsPerEpoch), grant)
                }
            }
            return nil
        }

        /// An empty contribution of the right shapes for (partition, global step).
        func contribution(_ p: Int, _ g: Int) -> Contribution {
            let steps = run.stepsPerEpoch
            return Contribution(step: StepID(epoch: g / steps + 1, step: g % steps), partition: p,
                                rows: run.server.store.tables.map { RowGradient(dimension: $0.dimension) },
                                dense: run.server.store.dense.map { _ in nil }, loss: 0.1, triples: 1,
                                share: 1 / Float(run.config.cluster.partitions))
        }

        func push(_ e: [UInt8], _ t: (partition: Int, step: Int, grant: Grant)) throws {
            try deliver(.push(session: sessions[e]!, globalStep: t.step, contribution: contribution(t.partition, t.step),
                              timings: [], grant: t.grant), from: e)
        }

        func assignment(_ e: [UInt8]) -> [Int]? {
            inbox(e).compactMap { if case .assignment(let a) = $0 { return a.partitions } else { return nil } }.last
        }
    }

    let w0: [UInt8] = [0], w1: [UInt8] = [1], w2: [UInt8] = [2]

    /// Two workers with one partition each, the run started.
    func started(_ s: Scenario) throws {
        try s.join(w0)
        try s.join(w1)
        XCTAssertEqual(s.assignment(w0), [0])
        XCTAssertEqual(s.assignment(w1), [1])
    }

    func testAWorkerDeadMidStepIsDroppedAndAReplacementFinishesItsStep() throws {
        let s = try Scenario()
        try started(s)
        let t0 = try XCTUnwrap(s.task(w0)), t1 = try XCTUnwrap(s.task(w1))
        XCTAssertEqual([t0.partition, t1.partition], [0, 1])
        try s.push(w0, t0)
        // w1 dies holding its task: no heartbeat, no push.
        try s.tick(until: 1.2, beating: [w0])
        XCTAssertNil(s.role.workers[s.sessions[w1]!], "dropped after the 1 s heartbeat timeout")
        let lost = s.members.filter { !$0.joined }.map(\.detail)
        XCTAssertEqual(lost.count, 1)
        XCTAssert(lost[0].contains("no heartbeat"), "the timeline says why: \(lost)")
        XCTAssertEqual(s.run.server.version, 0, "step 0 waits for partition 1")
        try s.join(w2)
        XCTAssertEqual(s.assignment(w2), [1], "the replacement takes the orphan")
        let t2 = try XCTUnwrap(s.task(w2))
        XCTAssertEqual(t2.partition, 1)
        XCTAssertEqual(t2.step, 0, "the orphan resumes from its data cursor")
        try s.push(w2, t2)
        XCTAssertEqual(s.run.server.version, 1)
    }

    func testAHungWorkerIsDroppedAfterTheTaskTimeoutAndTheSurvivorAbsorbsItsPartition() throws {
        let s = try Scenario()
        try started(s)
        let t0 = try XCTUnwrap(s.task(w0)), t1 = try XCTUnwrap(s.task(w1))
        try s.push(w0, t0)
        XCTAssertNil(try s.task(w0), "step 1 waits for step 0")
        // w1 keeps beating but never pushes.
        try s.tick(until: 1.9, beating: [w0, w1])
        XCTAssertNotNil(s.role.workers[s.sessions[w1]!], "still within the task timeout")
        try s.tick(until: 2.2, beating: [w0, w1])
        XCTAssertNil(s.role.workers[s.sessions[w1]!], "hung: dropped after 2 s with its task")
        try s.tick(until: 2.8, beating: [w0])
        XCTAssertEqual(s.assignment(w0), [0, 1], "no replacement within 500 ms: the survivor absorbs partition 1")
        _ = t1
    }

    func testAStaleContributionFromADroppedWorkerThatComesBackIsRefused() throws {
        let s = try Scenario()
        try started(s)
        let t0 = try XCTUnwrap(s.task(w0)), t1 = try XCTUnwrap(s.task(w1))
        try s.push(w0, t0)
        try s.tick(until: 1.2, beating: [w0])
        try s.join(w2)
        let t2 = try XCTUnwrap(s.task(w2))
        try s.push(w2, t2)
        XCTAssertEqual(s.run.server.version, 1)
        // The dropped worker wakes up and pushes the step it held.
        try s.push(w1, t1)
        XCTAssertEqual(s.inbox(w1).last, .error("unknown session: join again"))
        XCTAssertEqual(s.run.server.version, 1, "nothing applied twice")
        XCTAssertEqual(s.run.server.cursors, [1, 1])
    }

    func testADuplicatePushOrAPushForAnotherTaskIsRefusedAndChangesNothing() throws {
        let s = try Scenario()
        try started(s)
        let t0 = try XCTUnwrap(s.task(w0))
        var forged = t0
        forged.partition = 1
        try s.push(w0, forged)  // partition 1 belongs to w1
        forged = t0
        forged.step = 1
        try s.push(w0, forged)  // a step it was not given
        forged = t0
        forged.grant.tag ^= 1
        try s.push(w0, forged)  // the right task with a wrong grant
        forged = t0
        forged.grant.reductions = 1
        try s.push(w0, forged)  // the right task at a rate the coordinator did not set
        XCTAssertEqual(s.inbox(w0).filter { if case .error = $0 { return true } else { return false } }.count, 4)
        XCTAssertEqual(s.run.server.cursors, [0, 0])
        try s.push(w0, t0)
        XCTAssertEqual(s.inbox(w0), [.ack(applied: false)])
        try s.push(w0, t0)
        XCTAssertEqual(s.inbox(w0).count, 1, "the same push again: refused")
        XCTAssertEqual(s.run.server.cursors, [1, 0])
    }

    func testTheCoordinatorsOwnStallIsNotBlamedOnItsWorkers() throws {
        let s = try Scenario()
        try started(s)
        try s.tick(until: 0.5, beating: [w0, w1])
        s.now = 3.0  // 2.5 s without an event: the coordinator was stopped
        try s.tick(until: 3.1, beating: [w0, w1])
        XCTAssertEqual(s.role.workers.count, 2)
        // Real silence after the stall is still caught.
        try s.tick(until: 4.5, beating: [w0])
        XCTAssertEqual(s.role.workers.count, 1)
    }

    func testHeartbeatsCountOnlyFromTheSocketThatFirstBeat() throws {
        let s = try Scenario()
        try started(s)
        try s.tick(until: 0.3, beating: [w0, w1])  // binds each worker's heartbeat socket
        let session = s.sessions[w1]!
        let stranger: [UInt8] = [9, 9]
        XCTAssertEqual(s.role.admission(Link.Peek(kind: .heartbeat, session: session, bytes: 26, envelope: stranger)), .refuse(nil))
        XCTAssertEqual(s.role.admission(Link.Peek(kind: .heartbeat, session: session, bytes: 26, envelope: w1 + [0xb])), .decode)
        XCTAssertEqual(s.role.admission(Link.Peek(kind: .taskRequest, session: session, bytes: 26, envelope: stranger)), .refuse(nil))
        XCTAssertEqual(s.role.admission(Link.Peek(kind: .taskRequest, session: 12345, bytes: 26, envelope: stranger)),
                       .refuse(.error("unknown session: join again")))
        XCTAssertEqual(s.role.admission(Link.Peek(kind: .shardState, session: nil, bytes: 1 << 20, envelope: stranger)), .refuse(nil))
        XCTAssertEqual(s.role.admission(Link.Peek(kind: .join, session: nil, bytes: 100_000, envelope: stranger)),
                       .refuse(.error("a join is at most \(WireLimits.joinFrameBytes) bytes")))
        // Even a decoded heartbeat from the wrong socket is no sign of life.
        for k in 1...30 {
            s.now += 0.05
            try s.deliver(.heartbeat(session: session, progress: 0), from: stranger)
            if k % 2 == 0 { try s.deliver(.heartbeat(session: s.sessions[w0]!, progress: 0), from: w0 + [0xb]) }
            try s.carry(s.role.handle(.tick, now: s.now))
        }
        XCTAssertNil(s.role.workers[session])
    }

    func testSamplingRequestsAreCappedPerSessionAndExpireWithARefusal() throws {
        let s = try Scenario()
        try started(s)
        let book = s.run.plan.book, relation = 0
        let type = s.run.plan.graph.relations[relation].target
        let node = try XCTUnwrap((0..<book.owners[type].count).first { book.owner(type: type, node: Int32($0)) == 1 })
        let tag = SampleTag(seed: 1, epoch: 1, step: 0, hop: 0)
        let total = CoordinatorRole.samplesPerSession + 10
        for k in 0..<total {
            try s.deliver(.sampleRequest(SampleRequest(session: s.sessions[w0]!, requestID: UInt64(k), owner: 1, relation: relation,
                                                       fanout: 5, tag: tag, nodes: [Int32(node)])), from: w0 + [0x5])
        }
        XCTAssertEqual(s.inbox(w1).count, CoordinatorRole.samplesPerSession, "forwarded to the owner up to the cap")
        XCTAssertEqual(s.inbox(w0 + [0x5]).count, 10, "the rest refused at once")
        // The owner never answers: every forwarded request is refused after the task timeout.
        try s.tick(until: 2.1, beating: [w0, w1])
        let late = s.inbox(w0 + [0x5])
        XCTAssertEqual(late.count, CoordinatorRole.samplesPerSession)
        XCTAssert(late.allSatisfy { if case .sampleRefused(_, _, let why) = $0 { return why.contains("no answer") } else { return false } })
        XCTAssert(s.role.pendingSamples.isEmpty && s.role.heldSamples.isEmpty)
    }

    func testRoutedSamplesAreCountedAsTheEpochsRemoteTraffic() throws {
        let s = try Scenario()
        try started(s)
        let book = s.run.plan.book, relation = 0
        let type = s.run.plan.graph.relations[relation].target
        let nodes = (0..<book.owners[type].count).filter { book.owner(type: type, node: Int32($0)) == 1 }.prefix(3).map { Int32($0) }
        let tag = SampleTag(seed: 1, epoch: 1, step: 0, hop: 0)
        let asker = w0 + [0x5]
        try s.deliver(.sampleRequest(SampleRequest(session: s.sessions[w0]!, requestID: 7, owner: 1, relation: relation,
                                                   fanout: 5, tag: tag, nodes: nodes)), from: asker)
        // Refused (partition 1 does not own these), so not traffic the partitioning caused.
        try s.deliver(.sampleRequest(SampleRequest(session: s.sessions[w0]!, requestID: 8, owner: 0, relation: relation,
                                                   fanout: 5, tag: tag, nodes: nodes)), from: asker)
        guard case .sampleRequest(let forwarded)? = s.inbox(w1).first else { return XCTFail("not forwarded") }
        let reply = SampledNeighbours(counts: [2, 0, 1], neighbours: [4, 5, 6])
        try s.deliver(.sampleReply(session: s.sessions[w1]!, requestID: forwarded.requestID, sample: reply), from: w1)
        XCTAssertEqual(s.inbox(asker).count, 2, "the refusal and the reply")
        let remote = s.role.epochStats.remote
        XCTAssertEqual([remote.requests, remote.nodes, remote.edges, remote.bytes], [1, 3, 3, 4 * (3 + 3 + 3)])
    }

    func testARestartedCoordinatorTellsOldSessionsToJoinAgain() throws {
        let s = try Scenario()
        try s.deliver(.heartbeat(session: 42, progress: 0), from: w0)
        XCTAssertEqual(s.inbox(w0), [.error("unknown session: join again")])
    }

    func testALostServerShardStopsTheRunWithAnError() throws {
        let s = try Scenario(servers: 1)
        let server: [UInt8] = [7]
        try s.deliver(.serverJoin(token: "", endpoint: "tcp://127.0.0.1:1"), from: server)
        XCTAssertEqual(s.inbox(server).map(\.kind), [.serverWelcome, .shardState])
        try s.deliver(.ack(applied: true), from: server)
        try started(s)
        try s.tick(until: 0.9, beating: [w0, w1])
        XCTAssertThrowsError(try s.tick(until: 1.2, beating: [w0, w1])) { XCTAssert("\($0)".contains("shard 0"), "\($0)") }
    }

    func testEpochsEndAndCheckpointsAreAskedForWithTheRunPausedMeanwhile() throws {
        let s = try Scenario(checkpoints: true) { $0.cluster.checkpointEvery = 2 }
        try started(s)
        var steps = 0
        while s.run.server.version < s.run.stepsPerEpoch, steps < 1000 {
            let t0 = try XCTUnwrap(s.task(w0)), t1 = try XCTUnwrap(s.task(w1))
            try s.push(w0, t0)
            try s.push(w1, t1)
            steps += 1
        }
        try s.evaluate([w0, w1])
        XCTAssertEqual(steps, s.run.stepsPerEpoch)
        XCTAssertEqual(s.epochs.map(\.epoch), [1])
        XCTAssertEqual(s.checkpoints, (s.run.stepsPerEpoch - 1) / 2 + 1, "every 2 steps within the epoch, and at its end")
        XCTAssertEqual(s.run.position, StepID(epoch: 2, step: 0))
    }
}
