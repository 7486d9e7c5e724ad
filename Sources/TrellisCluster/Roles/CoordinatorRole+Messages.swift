import Logging
import TrellisCore
import TrellisTraining
import TrellisWire

/// What comes in: which frames are decoded at all, and each message of a member.
extension CoordinatorRole {
    /// Which frames are decoded at all: a join (small), anything from a parameter-server
    /// process, and a member's messages from the sockets bound to its session. The rest is
    /// dropped after its CRC, before a byte of its contents is decoded.
    public func admission(_ p: Link.Peek) -> Link.Admission {
        let verdict: Link.Admission
        let why: String
        switch p.kind {
        case .join, .serverJoin:
            guard p.bytes > WireLimits.joinFrameBytes else { return .decode }
            (verdict, why) = (.refuse(.error("a join is at most \(WireLimits.joinFrameBytes) bytes")), "oversized join")
        default:
            if let e = p.envelope, servers.contains(where: { $0?.envelope == e }) { return .decode }
            if let session = p.session, let w = workers[session] {
                switch p.kind {
                case .heartbeat where w.heartbeatEnvelope == nil || w.heartbeatEnvelope == p.envelope: return .decode
                case .sampleRequest: return .decode  // from the worker's sampling socket
                case _ where p.kind != .heartbeat && w.envelope == p.envelope: return .decode
                default: (verdict, why) = (.refuse(nil), "session used from another socket")
                }
            } else if p.session != nil {
                (verdict, why) = (.refuse(.error("unknown session: join again")), "unknown session")
            } else {
                (verdict, why) = (.refuse(nil), "not a member")
            }
        }
        refusals += 1
        // Heartbeats of a previous coordinator's workers arrive often, and a flood must not
        // become a flood of log lines: the first ten, then one in a thousand.
        let quiet = (p.kind == .heartbeat && why == "unknown session") || (refusals > 10 && refusals % 1000 != 0)
        logger.log(level: quiet ? .debug : .warning, "rejected a message: \(why)",
                   metadata: ["kind": "\(p.kind)", "bytes": "\(p.bytes)", "peer": "\(hex(p.envelope ?? []))", "refused": "\(refusals)"])
        return verdict
    }

    func receive(_ message: Message, from envelope: [UInt8], now: Double) throws {
        if case .serverJoin(let token, let endpoint) = message { return admitServer(token: token, endpoint: endpoint, envelope: envelope, now: now) }
        if let shard = servers.firstIndex(where: { $0?.envelope == envelope }) { return try handleServer(message, shard: shard, now: now) }
        if case .join(let token, let name) = message { return admit(token: token, name: name, envelope: envelope, now: now) }
        // Only members' messages from their own sockets get here (see `admission`), but the
        // shell may skip it: check again.
        guard let session = message.session, var worker = workers[session] else {
            if message.session != nil { send(.error("unknown session: join again"), to: envelope) }
            return
        }
        switch message {
        case .heartbeat(_, let progress):
            guard worker.heartbeatEnvelope == nil || worker.heartbeatEnvelope == envelope else { return }
            worker.heartbeatEnvelope = envelope
            worker.lastSeen = now
            // A task that moves (an evaluation's chunks) is not hung: its allowance starts again.
            if progress != worker.progress, worker.taskSince != nil { worker.taskSince = now }
            worker.progress = progress
            workers[session] = worker
            return send(.ack(applied: false), to: envelope)  // answered on the heartbeat socket
        case .sampleRequest(let r):
            // Any socket of the session may ask; asking is not a sign of life.
            return accept(r, from: envelope, now: now)
        default:
            guard envelope == worker.envelope else { return }
        }
        worker.lastSeen = now
        workers[session] = worker
        switch message {
        case .taskRequest:
            forgetEvaluationTask(of: session)
            workers[session]!.waiting = true
            workers[session]!.taskSince = nil
            workers[session]!.task = nil
        case .pull(_, let p, let g, let ids):
            guard settings.servers == 0 else { return refuse(envelope, "rows live on the parameter-server processes") }
            guard worker.partitions.contains(p) else { return refuse(envelope, "partition \(p) is not assigned to you") }
            if cluster.mode == .sync, g != run.server.version { return refuse(envelope, "pull for step \(g), the server is at \(run.server.version)") }
            let rows = try ids.enumerated().map { try run.server.rows(table: $0, ids: $1) }
            send(.rows(rows: rows, dense: run.server.denseValues()), to: envelope)
        case .push(_, let g, let c, let timings, let grant):
            guard let task = worker.task, task.partition == c.partition, task.globalStep == g,
                  grant == self.grant(session: session, partition: c.partition, globalStep: g) else {
                return refuse(envelope, "a push for partition \(c.partition), step \(g), which is not the task this session holds")
            }
            guard c.step.global(stepsPerEpoch: run.stepsPerEpoch) == g else { return refuse(envelope, "step \(c.step) is not global step \(g)") }
            do {
                let applied = try run.server.accept(c, globalStep: g)
                workers[session]!.task = nil
                epochStats.add(c, timings: timings)
                send(.ack(applied: applied), to: envelope)
                try advance(now: now)
            } catch let error as ServerError {
                logger.warning("rejected a push", metadata: ["session": "\(session)", "reason": "\(error)"])
                refuse(envelope, "\(error)")
            }
        case .sampleReply(_, let id, let sample):
            guard let pending = pendingSamples[id], pending.owner == session else { return }
            pendingSamples[id] = nil
            if evaluation == nil { epochStats.remote.answered(sample) }
            send(.sampleReply(session: 0, requestID: pending.request.requestID, sample: sample), to: pending.requester)
        case .sampleRefused(_, let id, let reason):
            guard let pending = pendingSamples[id], pending.owner == session else { return }
            pendingSamples[id] = nil
            send(.sampleRefused(session: 0, requestID: pending.request.requestID, reason: "partition \(pending.request.owner): \(reason)"),
                 to: pending.requester)
        case .activationPull, .activationPush, .layerDone, .evaluationSums:
            try receiveEvaluation(message, session: session, envelope: envelope, now: now)
        default:
            logger.warning("unexpected message", metadata: ["kind": "\(message.kind)", "session": "\(session)"])
        }
    }

    func refuse(_ envelope: [UInt8], _ why: String) {
        logger.warning("refused", metadata: ["reason": "\(why)"])
        send(.error(why), to: envelope)
    }
}
