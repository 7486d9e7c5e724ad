import Foundation
import Logging
import TrellisCore
import TrellisGraph
import TrellisTraining

/// Admission, partition assignment and failure detection.
extension CoordinatorRole {
    // MARK: Membership

    func admit(token: String, name: String, envelope: [UInt8], now: Double) {
        guard token == settings.token else {
            logger.warning("rejected a join: wrong cluster token", metadata: ["peer": "\(hex(envelope))", "name": "\(name)"])
            send(.error("wrong cluster token"), to: envelope)
            return
        }
        // Workers learn the servers' endpoints in their welcome: they wait (and retry) until all are in.
        guard serversReady else { return logger.debug("join held until the parameter servers are ready", metadata: ["name": "\(name)"]) }
        // A repeated join from the same socket (its welcome was lost) gets the same session.
        if let existing = workers.values.first(where: { $0.envelope == envelope }) {
            sendWelcome(existing)
            sendAssignment(existing)
            return
        }
        var session: UInt64 = 0
        while session == 0 || workers[session] != nil { session = UInt64.random(in: 1...UInt64.max) }
        let worker = Worker(session: session, rank: nextRank, name: name, envelope: envelope, lastSeen: now)
        nextRank += 1
        workers[session] = worker
        logger.info("worker joined", metadata: ["name": "\(name)", "rank": "\(worker.rank)", "session": "\(session)"])
        outbox.append(.membership(joined: true, detail: name))
        sendWelcome(worker)
        if !started {
            if workers.count >= settings.workers { startRun(now: now) }
        } else if !orphanedAt.isEmpty {
            // A replacement takes over every orphaned partition.
            let orphans = orphanedAt.keys.sorted()
            orphanedAt = [:]
            give(orphans, to: session, now: now)
        } else {
            sendAssignment(worker)  // a spare with nothing yet
        }
    }

    func startRun(now: Double) {
        started = true
        let ranked = workers.values.sorted { $0.rank < $1.rank }
        var plan: [UInt64: [Int]] = [:]
        for p in 0..<cluster.partitions { plan[ranked[p % ranked.count].session, default: []].append(p) }
        for w in ranked { give(plan[w.session] ?? [], to: w.session, now: now) }
        epochStart = now
        logger.info("run started", metadata: ["workers": "\(ranked.count)", "epoch": "\(run.position.epoch)", "step": "\(run.position.step)"])
    }

    func give(_ partitions: [Int], to session: UInt64, now: Double) {
        guard var w = workers[session] else { return }
        w.partitions = Array(Set(w.partitions + partitions)).sorted()
        workers[session] = w
        for p in partitions { owners[p] = session }
        sendAssignment(w)
        logger.info("assigned", metadata: ["rank": "\(w.rank)", "partitions": "\(w.partitions)"])
        // Sampling requests held for these partitions can now go to their owner.
        for (r, held) in heldSamples where partitions.contains(r.owner) {
            heldSamples[r] = nil
            route(r, from: held.requester, since: held.since)
        }
    }

    func sendWelcome(_ w: Worker) {
        let plan = run.plan
        send(.welcome(Welcome(
            session: w.session, rank: w.rank, spec: config.spec,
            stepsPerEpoch: plan.stepsPerEpoch, exampleCounts: plan.exampleCounts, schema: plan.schema,
            owners: plan.book.owners, tableRows: plan.tables.map(\.rows), tableDimensions: plan.tables.map(\.dimension), tableKinds: plan.tables.map(\.kind),
            codec: settings.codec, servers: servers.map { $0?.endpoint ?? "" },
            ratingMean: plan.ratingMean, ratingScale: plan.ratingScale)), to: w.envelope)
    }

    func sendAssignment(_ w: Worker) {
        outbox.append(.assign(partitions: w.partitions, session: w.session, to: w.envelope))
    }

    /// Declares silent workers dead, orphaning their partitions; after `takeover_ms` without a
    /// replacement, the survivors absorb the orphans.
    func detectFailures(now: Double) {
        let timeout = Double(cluster.workerTimeoutMilliseconds) / 1000
        let hung = Double(cluster.taskTimeoutMilliseconds) / 1000
        var lost = workers.filter { now - $0.value.lastSeen > timeout }.map(\.key)
        // Of the workers over the task limit, only the one that has held its task longest is
        // blamed: the others may be stuck waiting for its samples, so every other task out
        // gets a fresh allowance.
        let overdue = workers.filter { now - ($0.value.taskSince ?? now) > hung && !lost.contains($0.key) }
        if let oldest = overdue.min(by: { $0.value.taskSince! < $1.value.taskSince! }) {
            lost.append(oldest.key)
            for (session, w) in workers where session != oldest.key && w.taskSince != nil { workers[session]!.taskSince = now }
        }
        for session in lost {
            let w = workers[session]!
            let why = now - w.lastSeen > timeout ? "no heartbeat for \(String(format: "%.1f", now - w.lastSeen)) s"
                : "task held for \(String(format: "%.1f", now - w.taskSince!)) s (hung)"
            logger.warning("worker lost", metadata: ["rank": "\(w.rank)", "name": "\(w.name)", "reason": "\(why)",
                                                     "orphaned": "\(w.partitions)"])
            outbox.append(.membership(joined: false, detail: "\(w.name): \(why)"))
            workers[session] = nil
            for p in w.partitions { owners[p] = nil; orphanedAt[p] = now }
            forgetEvaluationTask(of: session)
            for (id, pending) in pendingSamples {
                if pending.request.session == session {
                    pendingSamples[id] = nil  // the requester is gone: nobody to answer
                } else if pending.owner == session {
                    // The owner died before answering: ask the next owner.
                    pendingSamples[id] = nil
                    heldSamples[pending.request] = (pending.requester, pending.since)
                }
            }
            for r in heldSamples.keys where r.session == session { heldSamples[r] = nil }
        }
        guard started, !orphanedAt.isEmpty, !workers.isEmpty,
              let oldest = orphanedAt.values.min(), now - oldest > Double(cluster.takeoverMilliseconds) / 1000 else { return }
        let orphans = orphanedAt.keys.sorted()
        orphanedAt = [:]
        logger.warning("no replacement came: survivors absorb the orphaned partitions", metadata: ["partitions": "\(orphans)"])
        for p in orphans {
            let target = workers.values.min { ($0.partitions.count, $0.rank) < ($1.partitions.count, $1.rank) }!
            give([p], to: target.session, now: now)
        }
    }
}
