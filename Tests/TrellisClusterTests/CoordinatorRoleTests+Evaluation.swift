@testable import TrellisCluster
import TrellisCore
import TrellisEval
import TrellisTensor
import TrellisTraining
import XCTest

/// Evaluation rounds on the workers, socket-free: fake workers do their tasks with the real
/// per-partition evaluation against the coordinator role's activation store, through the
/// role's messages.
extension CoordinatorRoleTests.Scenario {
    /// The last message to `e` that `match` accepts, taken out of what was sent (the rest stays).
    func reply(_ e: [UInt8], _ match: (Message) -> Bool) -> Message? {
        guard let k = sent.lastIndex(where: { $0.to == e && match($0.message) }) else { return nil }
        return sent.remove(at: k).message
    }

    /// What the worker at `e` reports for `t` after doing it (`layerDone` or `evaluationSums`).
    func evaluationReport(_ t: EvaluationTask, from e: [UInt8], scoring: Bool) throws -> Message {
        let model = run.plan.makeModel()
        for (p, value) in zip(model.parameters.dense, t.dense) { p.value = value }
        let evaluation = PartitionEvaluation(model: model, relations: run.plan.graph.relations, source: run.plan.graph, book: run.plan.book)
        let store = RoleActivations(scenario: self, envelope: e, round: t.round)
        guard scoring else {
            try evaluation.layer(t.layer, partition: t.partition, store: store)
            return .layerDone(session: t.session, round: t.round, partition: t.partition)
        }
        let sums = try evaluation.sums(t.part, share: run.shares[t.partition], task: run.task, store: store, model: model)
        return .evaluationSums(session: t.session, round: t.round, partition: t.partition, sums: sums)
    }

    /// The evaluation task handed to the worker at `e` when it asks for one, if any.
    func evaluationTask(_ e: [UInt8]) throws -> (task: EvaluationTask, scoring: Bool)? {
        _ = inbox(e)  // earlier replies (acks of pushes) are not this task's
        try deliver(.taskRequest(session: sessions[e]!), from: e)
        try carry(role.handle(.tick, now: now))
        switch reply(e, { [.layerTask, .scoreTask].contains($0.kind) }) {
        case .layerTask(let t)?: return (t, false)
        case .scoreTask(let t)?: return (t, true)
        default: return nil
        }
    }

    /// The workers at `envelopes` do every evaluation task handed to them until none is left.
    func evaluate(_ envelopes: [[UInt8]]) throws {
        var idle = 0
        while idle < envelopes.count {
            idle = 0
            for e in envelopes {
                guard let (t, scoring) = try evaluationTask(e) else { idle += 1; continue }
                try deliver(try evaluationReport(t, from: e, scoring: scoring), from: e)
                XCTAssertEqual(reply(e, { $0.kind == .ack }), .ack(applied: true))
            }
        }
    }
}

/// The coordinator role's activation store as a fake worker reaches it: a pull or push
/// delivered, its reply taken from what the role sent.
final class RoleActivations: ActivationStore {
    let scenario: CoordinatorRoleTests.Scenario
    let envelope: [UInt8]
    let round: UInt64

    init(scenario: CoordinatorRoleTests.Scenario, envelope: [UInt8], round: UInt64) {
        (self.scenario, self.envelope, self.round) = (scenario, envelope, round)
    }

    var session: UInt64 { scenario.sessions[envelope]! }

    func rows(layer: Int, type: Int, ids: [Int32]) throws -> Tensor {
        try scenario.deliver(.activationPull(session: session, round: round, layer: layer, type: type, ids: ids), from: envelope)
        guard case .activationRows(let rows)? = scenario.reply(envelope, { $0.kind == .activationRows }) else {
            throw PlanError("no rows for layer \(layer): \(scenario.reply(envelope) { $0.kind == .error }.map { "\($0)" } ?? "")")
        }
        return rows
    }

    func whole(layer: Int, type: Int) throws -> Tensor {
        try rows(layer: layer, type: type, ids: (0..<Int32(scenario.run.plan.graph.nodeCounts[type])).map { $0 })
    }

    func write(layer: Int, type: Int, ids: [Int32], rows: Tensor) throws {
        try scenario.deliver(.activationPush(session: session, round: round, layer: layer, type: type, ids: ids, rows: rows), from: envelope)
        guard scenario.reply(envelope, { $0.kind == .ack }) == .ack(applied: true) else { throw PlanError("layer \(layer) rows refused") }
    }
}

extension CoordinatorRoleTests {
    /// Both workers' steps of an epoch.
    func trainEpoch(_ s: Scenario) throws {
        for _ in 0..<s.run.stepsPerEpoch {
            let t0 = try XCTUnwrap(s.task(w0)), t1 = try XCTUnwrap(s.task(w1))
            try s.push(w0, t0)
            try s.push(w1, t1)
        }
    }

    func testAnEpochEndsWithTheWorkersEvaluationGivingTheOneProcessMetrics() throws {
        let s = try Scenario { $0.model.kind = "sage"; $0.training.epochs = 1 }
        try started(s)
        try trainEpoch(s)
        XCTAssertEqual(s.epochs.count, 0, "the epoch waits for its validation")
        XCTAssertEqual(try s.evaluationTask(w0)?.task.partition, 0, "each worker gets a partition of its own")
        try s.deliver(.taskRequest(session: s.sessions[w0]!), from: w0)  // gives the task back
        let expected = s.run.evaluate(.valid)
        try s.evaluate([w0, w1])
        XCTAssertEqual(s.epochs.map(\.epoch), [1])
        XCTAssertEqual(s.epochs.first?.metrics, expected, "the merged sums of the workers are the one-process metrics")
        // The run is over: the final test of the best weights, then the workers are told.
        try s.tick(until: s.now + 0.1, beating: [w0, w1])
        let test = s.run.summary().test
        try s.evaluate([w0, w1])
        XCTAssertEqual(s.role.testMetrics, test)
        try s.deliver(.taskRequest(session: s.sessions[w0]!), from: w0)
        try s.tick(until: s.now + 0.1, beating: [w0, w1])
        XCTAssertEqual(s.inbox(w0).last, .finished)
    }

    func testAWorkerDeadMidEvaluationHasItsPartitionsTasksRedoneByTheSurvivor() throws {
        let s = try Scenario { $0.model.kind = "sage"; $0.training.epochs = 2 }
        try started(s)
        try trainEpoch(s)
        let expected = s.run.evaluate(.valid)
        // w1 takes partition 1's layer-0 task and dies with it; w0 does partition 0's.
        let lost = try XCTUnwrap(try s.evaluationTask(w1))
        XCTAssertEqual(lost.task.partition, 1)
        XCTAssertFalse(lost.scoring)
        let first = try XCTUnwrap(try s.evaluationTask(w0))
        try s.deliver(try s.evaluationReport(first.task, from: w0, scoring: first.scoring), from: w0)
        XCTAssertNil(try s.evaluationTask(w0), "layer 1 waits for partition 1's layer 0")
        try s.tick(until: s.now + 1.2, beating: [w0])
        XCTAssertNil(s.role.workers[s.sessions[w1]!], "dropped after the heartbeat timeout")
        try s.tick(until: s.now + 0.6, beating: [w0])
        XCTAssertEqual(s.assignment(w0), [0, 1], "the survivor absorbs partition 1")
        try s.evaluate([w0])
        XCTAssertEqual(s.epochs.first?.metrics, expected, "partition 1's round redone: the same metrics")
        XCTAssertEqual(s.run.position, StepID(epoch: 2, step: 0))
    }

    /// An evaluation task may outlast the task timeout (2 s here) while the worker's
    /// heartbeats show its work count moving (a long ranking, chunk after chunk); once the
    /// count stops for longer than the timeout, the worker is hung and dropped.
    func testALongEvaluationIsNotHungWhileItsWorkMoves() throws {
        let s = try Scenario { $0.model.kind = "sage"; $0.training.epochs = 2 }
        try started(s)
        try trainEpoch(s)
        let held = try XCTUnwrap(try s.evaluationTask(w1))
        _ = try XCTUnwrap(try s.evaluationTask(w0))
        try s.tick(until: s.now + 6, beating: [w0, w1], working: [w0, w1])
        XCTAssertNotNil(s.role.workers[s.sessions[w1]!], "6 s on one task, but moving")
        try s.tick(until: s.now + 1.8, beating: [w0, w1], working: [w0])
        XCTAssertNotNil(s.role.workers[s.sessions[w1]!], "stalled for less than the timeout")
        try s.tick(until: s.now + 0.5, beating: [w0, w1], working: [w0])
        XCTAssertNil(s.role.workers[s.sessions[w1]!], "stalled past the timeout: hung")
        XCTAssertEqual(held.task.partition, 1)
    }
}

extension CoordinatorRoleTests {
    func testEvaluationPullsAndPushesOutsideTheHeldTaskAreRefused() throws {
        let s = try Scenario { $0.model.kind = "sage"; $0.training.epochs = 1 }
        try started(s)
        try trainEpoch(s)
        let held = try XCTUnwrap(try s.evaluationTask(w0)).task
        let book = s.run.plan.book
        let foreign = try XCTUnwrap((0..<book.owners[0].count).first { book.owner(type: 0, node: Int32($0)) != held.partition })
        let session = s.sessions[w0]!
        let refusals: [Message] = [
            .activationPush(session: session, round: held.round, layer: 1, type: 0, ids: [Int32(foreign)], rows: Tensor(shape: [1, 16])),
            .activationPull(session: session, round: held.round, layer: 1, type: 0, ids: [0]),                // not the step's layer
            .activationPull(session: session, round: held.round + 1, layer: 0, type: 0, ids: [0]),            // another round
            .evaluationSums(session: session, round: held.round, partition: held.partition, sums: .rating(RatingSums())),  // not scoring
        ]
        for m in refusals {
            try s.deliver(m, from: w0)
            guard case .error? = s.reply(w0, { _ in true }) else { return XCTFail("\(m.kind) taken") }
        }
        // w1 holds no task: it may not read the store at all.
        try s.deliver(.activationPull(session: s.sessions[w1]!, round: held.round, layer: 0, type: 0, ids: [0]), from: w1)
        guard case .error? = s.reply(w1, { _ in true }) else { return XCTFail("a pull without a task taken") }
    }
}
