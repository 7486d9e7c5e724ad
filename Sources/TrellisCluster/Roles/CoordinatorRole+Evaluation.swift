import TrellisTraining

/// Evaluation rounds on the workers (see `EvaluationTask` for the messages): the coordinator
/// holds the round's activation store and hands out one task per partition and step; the
/// workers compute their partitions' layers and score their own users; their sums are merged
/// here in partition order.
extension CoordinatorRole {
    /// Starts evaluating `part` of the server's current weights (the best ones for the final test).
    func startEvaluation(_ part: EvaluationPart, purpose: EvaluationRound.Purpose, now: Double) {
        if purpose == .finalTest { run.restoreWeights(run.bestWeights) }
        let store = LocalActivations(tables: run.inputs())
        var first = 0
        if !run.isLayerwise {
            // Not layer-wise (LightGCN): one full-graph forward here; only the scoring is on the workers.
            store.set(layer: run.finalLayer, outputs: run.fullGraphOutputs())
            first = run.finalLayer
        }
        evaluation = EvaluationRound(id: nextRound, part: part, purpose: purpose, store: store,
                                     dense: run.server.store.dense.map(\.value), finalLayer: run.finalLayer,
                                     firstStep: first, partitions: cluster.partitions, now: now)
        nextRound += 1
        outbox.append(.evaluationStarted(part))
    }

    /// Hands each waiting worker a pending partition of the round's step that it owns.
    func dispatchEvaluation(now: Double) {
        guard var round = evaluation else { return }
        for (session, w) in workers where w.waiting {
            guard let p = w.partitions.first(where: { round.pending.contains($0) && round.holders[$0] == nil }) else { continue }
            round.holders[p] = session
            workers[session]!.waiting = false
            workers[session]!.taskSince = now
            send(round.task(partition: p, session: session), to: w.envelope)
        }
        evaluation = round
    }

    /// A lost worker's task is handed out again (to the partition's next owner).
    func forgetEvaluationTask(of session: UInt64) {
        guard let holders = evaluation?.holders else { return }
        evaluation!.holders = holders.filter { $0.value != session }
    }

    /// A worker's activation pull or push, or the report of its step: only for the task it holds.
    func receiveEvaluation(_ message: Message, session: UInt64, envelope: [UInt8], now: Double) throws {
        let id: UInt64
        switch message {
        case .activationPull(_, let r, _, _, _), .activationPush(_, let r, _, _, _, _), .layerDone(_, let r, _), .evaluationSums(_, let r, _, _):
            id = r
        default:
            return
        }
        guard var round = evaluation, round.id == id, let p = round.partition(heldBy: session) else {
            return refuse(envelope, "an evaluation message of round \(id), for no evaluation task this session holds")
        }
        switch message {
        case .activationPull(_, _, let layer, let type, let ids):
            guard layer == round.step else { return refuse(envelope, "rows of layer \(layer) asked at step \(round.step)") }
            do { send(.activationRows(try round.store.rows(layer: layer, type: type, ids: ids)), to: envelope) } catch {
                refuse(envelope, "\(error)")
            }
        case .activationPush(_, _, let layer, let type, let ids, let rows):
            guard !round.scoring, layer == round.step + 1 else { return refuse(envelope, "rows of layer \(layer) pushed at step \(round.step)") }
            guard ids.allSatisfy({ run.plan.book.owner(type: type, node: $0) == p }) else {
                return refuse(envelope, "rows pushed for nodes partition \(p) does not own")
            }
            do {
                try round.store.write(layer: layer, type: type, ids: ids, rows: rows)
                send(.ack(applied: true), to: envelope)
            } catch {
                refuse(envelope, "\(error)")
            }
        case .layerDone(_, _, let partition):
            guard partition == p, !round.scoring else { return refuse(envelope, "layer done for partition \(partition) at step \(round.step)") }
            try report(partition: p, of: &round, session: session, envelope: envelope, now: now)
        case .evaluationSums(_, _, let partition, let sums):
            guard partition == p, round.scoring, run.emptySums.matches(sums) else {
                return refuse(envelope, "sums of partition \(partition) that do not match the round's (step \(round.step))")
            }
            round.sums[p] = sums
            try report(partition: p, of: &round, session: session, envelope: envelope, now: now)
        default:
            break
        }
    }

    /// `partition`'s step is done: on to the next step, or the round's metrics when all are in.
    func report(partition: Int, of round: inout EvaluationRound, session: UInt64, envelope: [UInt8], now: Double) throws {
        workers[session]!.taskSince = nil
        send(.ack(applied: true), to: envelope)
        guard round.done(partition: partition) else {
            evaluation = round
            return
        }
        evaluation = nil
        let metrics = EvaluationSums.merged(round.sums.map { $0! })
        outbox.append(.evaluationEnded(round.part, seconds: now - round.started))
        switch round.purpose {
        case .epochEnd(let seconds):
            endEpoch(seconds: seconds, validation: (metrics, now - round.started), now: now)
        case .finalTest:
            testMetrics = metrics
        }
    }
}
