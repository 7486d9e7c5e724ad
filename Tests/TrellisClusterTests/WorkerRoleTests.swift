@testable import TrellisCluster
import TrellisCore
import TrellisGraph
import TrellisTensor
import XCTest

/// A worker's decisions (`WorkerRole`) with a fake clock and no sockets: joining and giving
/// up, the task loop, serving samples and taking assignments meanwhile, and when to start
/// over; then two worker roles and a coordinator role running an epoch together in memory.
final class WorkerRoleTests: XCTestCase {
    func role(timeout: Double = 5) -> WorkerRole {
        var settings = WorkerRole.Settings(token: "t", name: "w")
        settings.joinTimeoutSeconds = timeout
        return WorkerRole(settings: settings)
    }

    let alive = WorkerRole.Pulse()

    func welcome(session: UInt64 = 9) -> Welcome {
        Welcome(session: session, rank: 0, spec: "", stepsPerEpoch: 4, exampleCounts: [10, 10],
                schema: GraphSchema(nodeTypes: [.init(name: "user", count: 2), .init(name: "item", count: 2)], relations: []),
                owners: [[0, 1], [0, 1]], tableRows: [2, 2], tableDimensions: [4, 4], tableKinds: [.trainable, .trainable], codec: .default)
    }

    let assignment = Assignment(session: 9, partitions: [1], targets: [], offsets: [], sources: [], linkUsers: [[0]], linkItems: [[1]])

    func testJoiningRetriesEveryTwoSecondsAndGivesUpAfterTheTimeout() throws {
        let r = role()
        XCTAssertEqual(try r.handle(.tick(alive), now: 0), [.toCoordinator(.join(token: "t", name: "w"))])
        XCTAssertEqual(try r.handle(.tick(alive), now: 1.5), [])
        XCTAssertEqual(try r.handle(.tick(alive), now: 2.1), [.toCoordinator(.join(token: "t", name: "w"))])
        XCTAssertThrowsError(try r.handle(.tick(alive), now: 5.1)) {
            guard case WorkerError.coordinatorLost = $0 else { return XCTFail("\($0)") }
        }
    }

    func testARefusalWhileJoiningEndsTheWorker() throws {
        let r = role()
        _ = try r.handle(.tick(alive), now: 0)
        XCTAssertThrowsError(try r.handle(.fromCoordinator(.error("wrong cluster token")), now: 0.1)) {
            XCTAssertEqual("\($0)", "the coordinator refused this worker: wrong cluster token")
        }
    }

    func testTheTaskLoopAndWhatItAnswersMeanwhile() throws {
        let r = role()
        _ = try r.handle(.tick(alive), now: 0)
        XCTAssertEqual(try r.handle(.fromCoordinator(.welcome(welcome())), now: 0.1), [.accept(welcome())])
        XCTAssertEqual(try r.handle(.fromCoordinator(.assignment(assignment)), now: 0.2),
                       [.assign(assignment), .toCoordinator(.taskRequest(session: 9))])
        XCTAssertEqual(try r.handle(.fromCoordinator(.task(session: 9, partition: 1, epoch: 2, step: 3, grant: Grant(tag: 77, reductions: 2))), now: 0.3),
                       [.compute(partition: 1, step: StepID(epoch: 2, step: 3), grant: Grant(tag: 77, reductions: 2))])
        // While computing: another worker's sampling request is served, a new assignment taken.
        let request = SampleRequest(session: 4, requestID: 1, owner: 1, relation: 0, fanout: 5,
                                    tag: SampleTag(seed: 1, epoch: 2, step: 3, hop: 0), nodes: [0])
        XCTAssertEqual(try r.handle(.fromCoordinator(.sampleRequest(request)), now: 0.4), [.serve(request)])
        XCTAssertEqual(try r.handle(.fromCoordinator(.assignment(assignment)), now: 0.4), [.assign(assignment)])
        let report = Contribution.empty(step: StepID(epoch: 2, step: 3), partition: 1, tables: [4, 4], denseCount: 0)
        XCTAssertEqual(try r.handle(.computed(report: report, globalStep: 6, grant: Grant(tag: 77, reductions: 2), timings: []), now: 0.5), [],
                       "a result for another step than the one computing is dropped")
        XCTAssertEqual(try r.handle(.computed(report: report, globalStep: 7, grant: Grant(tag: 77, reductions: 2), timings: [1]), now: 0.5),
                       [.toCoordinator(.push(session: 9, globalStep: 7, contribution: report, timings: [1], grant: Grant(tag: 77, reductions: 2)))])
        XCTAssertEqual(try r.handle(.fromCoordinator(.ack(applied: true)), now: 0.6), [.toCoordinator(.taskRequest(session: 9))])
        XCTAssertEqual(try r.handle(.fromCoordinator(.finished), now: 0.7), [.finished])
        XCTAssertTrue(r.isFinished)
    }

    func testItStartsOverOnAnErrorAnUnknownSessionOrASilentCoordinator() throws {
        func joined() throws -> WorkerRole {
            let r = role()
            _ = try r.handle(.tick(alive), now: 0)
            _ = try r.handle(.fromCoordinator(.welcome(welcome())), now: 0.1)
            _ = try r.handle(.fromCoordinator(.assignment(assignment)), now: 0.2)
            return r
        }
        func rejoins(_ body: () throws -> Void) {
            XCTAssertThrowsError(try body()) { guard case WorkerError.rejoin = $0 else { return XCTFail("\($0)") } }
        }
        rejoins { _ = try joined().handle(.fromCoordinator(.error("unknown session: join again")), now: 1) }
        rejoins { _ = try joined().handle(.tick(.init(silentSeconds: 0.2, rejected: true)), now: 1) }
        rejoins { _ = try joined().handle(.tick(.init(silentSeconds: 5.5)), now: 6) }
        XCTAssertNoThrow(try joined().handle(.tick(.init(silentSeconds: 4.5)), now: 5))
    }

    /// Two worker roles and a coordinator role train a whole epoch together, in memory: every
    /// step applied once, in order, and both workers told the run is over.
    func testTwoWorkersAndACoordinatorRunAnEpochWithoutSockets() throws {
        let c = try CoordinatorRoleTests.Scenario { $0.training.epochs = 1 }
        let envelopes: [[UInt8]] = [[0], [1]]
        let workers = envelopes.map { _ -> WorkerRole in
            var settings = WorkerRole.Settings(token: "", name: "w")
            settings.joinTimeoutSeconds = 30
            return WorkerRole(settings: settings)
        }
        var finished = Set<Int>()
        func carry(_ k: Int, _ directives: [WorkerRole.Directive]) throws {
            for d in directives {
                switch d {
                case .toCoordinator(let m): try c.deliver(m, from: envelopes[k])
                case .compute(let p, let step, let grant):
                    let global = step.global(stepsPerEpoch: c.run.stepsPerEpoch)
                    try carry(k, workers[k].handle(.computed(report: c.contribution(p, global), globalStep: global, grant: grant, timings: []), now: c.now))
                case .computeLayer(let t):
                    try carry(k, workers[k].handle(.evaluated(report: c.evaluationReport(t, from: envelopes[k], scoring: false)), now: c.now))
                case .score(let t):
                    try carry(k, workers[k].handle(.evaluated(report: c.evaluationReport(t, from: envelopes[k], scoring: true)), now: c.now))
                case .finished: finished.insert(k)
                case .accept, .assign, .serve: break
                }
            }
        }
        var rounds = 0
        while finished.count < 2, rounds < 10_000 {
            rounds += 1
            c.now += 0.01
            for k in 0..<2 {
                try carry(k, workers[k].handle(.tick(alive), now: c.now))
                if rounds % 10 == 0, workers[k].session != 0 { try c.deliver(.heartbeat(session: workers[k].session, progress: 0), from: envelopes[k] + [0xb]) }
                for m in c.inbox(envelopes[k]) { try carry(k, workers[k].handle(.fromCoordinator(m), now: c.now)) }
            }
            try c.carry(c.role.handle(.tick, now: c.now))
        }
        XCTAssertEqual(finished, [0, 1], "both workers told the run is over (after \(rounds) rounds)")
        XCTAssertEqual(c.epochs.map(\.epoch), [1])
        XCTAssertEqual(c.epochs.first?.metrics["users"], c.run.evaluate(.valid)["users"], "validated by the workers")
        XCTAssertEqual(c.run.server.version, c.run.stepsPerEpoch, "every step applied once")
        XCTAssertEqual(c.run.server.cursors, [c.run.stepsPerEpoch, c.run.stepsPerEpoch])
    }
}
