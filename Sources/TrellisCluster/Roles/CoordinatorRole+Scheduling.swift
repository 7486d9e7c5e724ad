import Logging
import TrellisCore
import TrellisGraph
import TrellisTraining

/// Handing out tasks, moving the run forward, pausing it for checkpoints and evaluations, and
/// routing sampling requests.
extension CoordinatorRole {
    // MARK: Tasks

    /// Answers held task requests that can now run (or learn the run is over).
    func dispatch(now: Double) {
        guard started, pause == nil else { return }
        if evaluation != nil { return dispatchEvaluation(now: now) }
        for (session, w) in workers where w.waiting {
            if runOver {
                guard testMetrics != nil else { continue }
                send(.finished, to: w.envelope)
                finishedSent.insert(session)
                workers[session]!.waiting = false
                continue
            }
            guard let (p, step) = nextTask(for: w) else { continue }
            let global = step.global(stepsPerEpoch: run.stepsPerEpoch)
            workers[session]!.waiting = false
            workers[session]!.taskSince = now
            workers[session]!.task = (p, global)
            send(.task(session: session, partition: p, epoch: step.epoch, step: step.step,
                       grant: grant(session: session, partition: p, globalStep: global)), to: w.envelope)
        }
    }

    /// The partition of `w` that may compute next, and its step.
    func nextTask(for w: Worker) -> (Int, StepID)? {
        let server = run.server
        let epochEnd = run.position.epoch * run.stepsPerEpoch  // global index of the next epoch's first step
        var best: (Int, Int)?
        for p in w.partitions {
            let cursor = server.cursors[p]
            guard cursor < epochEnd, server.canServe(step: cursor, partition: p) else { continue }
            if best == nil || cursor < best!.1 { best = (p, cursor) }
        }
        guard let (p, g) = best else { return nil }
        return (p, StepID(epoch: g / run.stepsPerEpoch + 1, step: g % run.stepsPerEpoch))
    }

    // MARK: Moving on

    /// After a push: moves the run past every step all partitions have given, and pauses it
    /// for a checkpoint every `checkpoint_every` steps and at the end of the epoch.
    func advance(now: Double) throws {
        guard pause == nil else { return }
        let slowest = run.server.cursors.min() ?? 0
        while run.globalStep < slowest, !run.epochComplete, run.server.version >= run.globalStep + (cluster.mode == .sync ? 1 : 0) {
            run.advanceStep()
            if settings.checkpoints, cluster.checkpointEvery > 0, run.globalStep % cluster.checkpointEvery == 0, !run.epochComplete {
                return try reach(.checkpoint, now: now)
            }
        }
        guard run.epochComplete else { return }
        try reach(.epochEnd, now: now)
    }

    /// With parameter-server processes, a checkpoint or an evaluation first gathers their
    /// state (asked once no task is out); then `proceed`.
    func reach(_ milestone: Milestone, now: Double) throws {
        guard settings.servers == 0 else {
            pause = .gathering(then: milestone, requested: false)
            return progressGather()
        }
        try proceed(milestone, now: now)
    }

    /// The run's state is whole here: write the checkpoint, or end the epoch.
    func proceed(_ milestone: Milestone, now: Double) throws {
        pause = nil
        switch milestone {
        case .checkpoint:
            pause = .checkpointing(resume: true)
            outbox.append(.saveCheckpoint)
        case .epochEnd:
            let seconds = now - epochStart
            guard run.validationDue else { return endEpoch(seconds: seconds, validation: nil, now: now) }
            startEvaluation(.valid, purpose: .epochEnd(seconds: seconds), now: now)
            dispatchEvaluation(now: now)
        }
    }

    /// Ends the epoch with its validation (from the workers), then writes a checkpoint if asked.
    func endEpoch(seconds: Double, validation: (metrics: [String: Double], seconds: Double)?, now: Double) {
        let record = run.finishEpoch(seconds: seconds, validation: validation)
        outbox.append(.epochEnded(record, seconds: seconds, stats: epochStats))
        epochStats = EpochStats()
        epochStart = now
        if settings.checkpoints {
            pause = .checkpointing(resume: false)
            outbox.append(.saveCheckpoint)
        }
    }

    // MARK: Sampling requests

    /// A worker's request for neighbours of another partition's nodes: checked against the
    /// graph and the partition book (a request no owner could answer is refused here), capped
    /// per session, then routed.
    func accept(_ r: SampleRequest, from requester: [UInt8], now: Double) {
        if let why = problem(with: r) {
            logger.warning("refused a sampling request", metadata: ["session": "\(r.session)", "reason": "\(why)"])
            return send(.sampleRefused(session: 0, requestID: r.requestID, reason: why), to: requester)
        }
        if evaluation == nil { epochStats.remote.asked(r) }
        route(r, from: requester, since: now)
    }

    func problem(with r: SampleRequest) -> String? {
        let relations = run.plan.schema.relations, book = run.plan.book
        guard r.relation < relations.count else { return "no relation \(r.relation)" }
        guard r.fanout == -1 || r.fanout >= 1 else { return "fanout \(r.fanout): expected -1 or at least 1" }
        let type = relations[r.relation].target
        for v in r.nodes where v < 0 || Int(v) >= book.owners[type].count || book.owner(type: type, node: v) != r.owner {
            return "node \(v) of type \(type) is not one of partition \(r.owner)'s"
        }
        let open = pendingSamples.values.lazy.filter { $0.request.session == r.session }.count
            + heldSamples.keys.lazy.filter { $0.session == r.session }.count
        guard open < Self.samplesPerSession else { return "\(open) sampling requests already open for this session" }
        return nil
    }

    /// Sends a sampling request to the current owner of its partition, or holds it until the
    /// partition has one.
    func route(_ r: SampleRequest, from requester: [UInt8], since: Double) {
        guard let session = owners[r.owner], let owner = workers[session] else {
            heldSamples[r] = (requester, since)
            return
        }
        let id = nextSampleID
        nextSampleID += 1
        pendingSamples[id] = PendingSample(requester: requester, request: r, owner: session, since: since)
        var forwarded = r
        forwarded.requestID = id
        send(.sampleRequest(forwarded), to: owner.envelope)
    }

    /// Every request gets an answer: one that no owner answered within the task timeout is
    /// refused, so neither the table here nor the requester waits for ever.
    func expireSamples(now: Double) {
        let limit = Double(cluster.taskTimeoutMilliseconds) / 1000
        var expired: [(requester: [UInt8], request: SampleRequest)] = []
        for (id, p) in pendingSamples where now - p.since > limit {
            pendingSamples[id] = nil
            expired.append((p.requester, p.request))
        }
        for (r, held) in heldSamples where now - held.since > limit {
            heldSamples[r] = nil
            expired.append((held.requester, r))
        }
        for (requester, r) in expired {
            send(.sampleRefused(session: 0, requestID: r.requestID,
                                reason: "no answer from partition \(r.owner) within \(cluster.taskTimeoutMilliseconds) ms"), to: requester)
        }
    }
}
