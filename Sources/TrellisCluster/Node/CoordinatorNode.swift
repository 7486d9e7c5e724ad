import Foundation
import Logging
import TrellisCore
import TrellisGraph
import TrellisTensor
import TrellisTraining
import TrellisTransport
import TrellisWire

/// `trellis coordinator start`: hosts the parameter server, admits workers that present the
/// token, assigns partitions, hands out (partition, step) tasks, routes sampling requests to
/// the owners, evaluates after each epoch, writes checkpoints, and reassigns the partitions
/// of a worker that stops sending heartbeats.
///
/// One thread owns the ROUTER socket; every step of the protocol happens in `handle(_:)`.
public final class CoordinatorNode {
    public struct Settings {
        public var listen = "tcp://*:5555"
        /// Workers to wait for before the first step.
        public var workers = 1
        public var token = ""
        public var checkpointDirectory: String?
        public var resume = false
        /// The config file's text, sent verbatim to workers.
        public var configYAML = ""
        public init() {}
    }

    struct Worker {
        var session: UInt64
        var rank: Int
        var name: String
        var envelope: [UInt8]
        var partitions: [Int] = []
        var lastSeen: Double
        /// A task request held until one of its partitions may run.
        var waiting = false
        /// When the task it is computing was handed out (nil when it holds none).
        var taskSince: Double?
    }

    public let run: TrainingRun
    let settings: Settings
    var logger: Logger
    var link: Link!
    var workers: [UInt64: Worker] = [:]
    var nextRank = 0
    var owners: [UInt64?]
    var orphanedAt: [Int: Double] = [:]
    var started = false
    var finishedSent = Set<UInt64>()
    var pendingSamples: [UInt64: (requester: [UInt8], request: SampleRequest)] = [:]
    var heldSamples: [SampleRequest: [UInt8]] = [:]
    var nextSampleID: UInt64 = 1
    var epochStart = 0.0
    var epochStats = EpochStats()
    let checkpoints: ClusterCheckpoints?
    /// Called with each epoch's progress line.
    public var onProgress: ((String) -> Void)?

    public init(plan: TrainingPlan, dataset: PreparedDataset, settings: Settings,
                logger: Logger = Logger(label: "trellis.coordinator")) throws {
        run = TrainingRun(plan: plan, dataset: dataset)
        self.settings = settings
        self.logger = logger
        owners = Array(repeating: nil, count: plan.config.cluster.partitions)
        checkpoints = settings.checkpointDirectory.map { ClusterCheckpoints(directory: $0, keep: plan.config.cluster.checkpointsKept) }
        if settings.resume, let checkpoints {
            if let resumed = try checkpoints.restoreLatest(into: run, logger: logger) {
                logger.info("resumed", metadata: ["checkpoint": "\(resumed)", "epoch": "\(run.position.epoch)", "step": "\(run.position.step)"])
            } else {
                logger.info("no intact checkpoint to resume from; starting fresh")
            }
        }
    }

    var config: TrainingConfig { run.config }
    var cluster: ClusterSettings { run.config.cluster }

    // MARK: The loop

    /// Serves until the run is finished; returns the final summary (best weights, tested).
    public func serve() throws -> RunSummary {
        let socket = try ZMQSocket(.router)
        try socket.bind(settings.listen)
        var limits = WireLimits()
        limits.tableRows = run.plan.tables.map(\.rows)
        limits.tableDimensions = run.plan.tables.map(\.dimension)
        limits.denseShapes = run.server.store.dense.map(\.shape)
        limits.partitionCount = cluster.partitions
        limits.nodeCounts = run.plan.graph.nodeCounts
        limits.relationCount = run.plan.graph.relations.count
        link = try Link(socket: socket, limits: limits, codec: codecOptions, logger: logger)
        logger.info("listening", metadata: ["endpoint": "\((try? socket.lastEndpoint) ?? settings.listen)",
                                            "workers": "\(settings.workers)", "partitions": "\(cluster.partitions)"])
        var finishedAt: Double?
        while true {
            if let (message, envelope) = try link.receive(timeoutMilliseconds: 20) {
                try handle(message, from: envelope ?? [])
            }
            let now = ResourceUsage.now()
            detectFailures(now: now)
            dispatch()
            if run.finished {
                // Tell every live worker, then stop (workers that miss it give up on their own).
                let live = Set(workers.keys)
                if finishedAt == nil { finishedAt = now }
                if live.isSubset(of: finishedSent) || now - finishedAt! > 3 { break }
            }
        }
        socket.close()
        return run.summary()
    }

    var codecOptions: CodecOptions {
        let encoding: ValueEncoding
        switch cluster.valueEncoding {
        case .float32: encoding = .float32
        case .float16: encoding = .float16
        case .bfloat16: encoding = .bfloat16
        }
        return CodecOptions(encoding: encoding, shuffle: cluster.shuffle, lz4: cluster.compress)
    }

    func handle(_ message: Message, from envelope: [UInt8]) throws {
        if case .join(let token, let name) = message { return try admit(token: token, name: name, envelope: envelope) }
        guard let session = message.session, var worker = workers[session] else {
            // Heartbeats of a previous coordinator's workers arrive often: not worth a warning each.
            let level: Logger.Level = message.kind == .heartbeat ? .debug : .warning
            logger.log(level: level, "rejected a message from an unknown session", metadata: ["kind": "\(message.kind)", "peer": "\(hex(envelope))"])
            try link.send(.error("unknown session: join again"), to: envelope)
            return
        }
        worker.lastSeen = ResourceUsage.now()
        if case .heartbeat = message {
            workers[session] = worker
            try link.send(.ack(applied: false), to: envelope)  // answered on the heartbeat socket
            return
        }
        guard envelope == worker.envelope else {
            logger.warning("rejected a message: session used from another socket", metadata: ["session": "\(session)"])
            return
        }
        workers[session] = worker
        switch message {
        case .taskRequest:
            workers[session]!.waiting = true
            workers[session]!.taskSince = nil
        case .pull(_, let p, let g, let ids):
            guard worker.partitions.contains(p) else { return try refuse(envelope, "partition \(p) is not assigned to you") }
            if cluster.mode == .sync, g != run.server.version { return try refuse(envelope, "pull for step \(g), the server is at \(run.server.version)") }
            let rows = try ids.enumerated().map { try run.server.rows(table: $0, ids: $1) }
            try link.send(.rows(rows: rows, dense: run.server.denseValues()), to: envelope)
        case .push(_, let g, let c, let timings):
            guard worker.partitions.contains(c.partition) else { return try refuse(envelope, "partition \(c.partition) is not assigned to you") }
            guard c.step.global(stepsPerEpoch: run.stepsPerEpoch) == g else { return try refuse(envelope, "step \(c.step) is not global step \(g)") }
            do {
                let applied = try run.server.accept(c, globalStep: g)
                epochStats.add(c, timings: timings)
                try link.send(.ack(applied: applied), to: envelope)
                try advance()
            } catch let error as ServerError {
                logger.warning("rejected a push", metadata: ["session": "\(session)", "reason": "\(error)"])
                try refuse(envelope, "\(error)")
            }
        case .sampleRequest(let r):
            try route(r, from: envelope)
        case .sampleReply(_, let id, let sample):
            guard let pending = pendingSamples.removeValue(forKey: id) else { return }
            try link.send(.sampleReply(session: 0, requestID: pending.request.requestID, sample: sample), to: pending.requester)
        default:
            logger.warning("unexpected message", metadata: ["kind": "\(message.kind)", "session": "\(session)"])
        }
    }

    func refuse(_ envelope: [UInt8], _ why: String) throws {
        logger.warning("refused", metadata: ["reason": "\(why)"])
        try link.send(.error(why), to: envelope)
    }

    // MARK: Membership

    func admit(token: String, name: String, envelope: [UInt8]) throws {
        guard token == settings.token else {
            logger.warning("rejected a join: wrong cluster token", metadata: ["peer": "\(hex(envelope))", "name": "\(name)"])
            try link.send(.error("wrong cluster token"), to: envelope)
            return
        }
        // A repeated join from the same socket (its welcome was lost) gets the same session.
        if let existing = workers.values.first(where: { $0.envelope == envelope }) {
            try sendWelcome(existing)
            try sendAssignment(existing)
            return
        }
        var session: UInt64 = 0
        while session == 0 || workers[session] != nil { session = UInt64.random(in: 1...UInt64.max) }
        let worker = Worker(session: session, rank: nextRank, name: name, envelope: envelope, lastSeen: ResourceUsage.now())
        nextRank += 1
        workers[session] = worker
        logger.info("worker joined", metadata: ["name": "\(name)", "rank": "\(worker.rank)", "session": "\(session)"])
        try sendWelcome(worker)
        if !started {
            if workers.count >= settings.workers { try startRun() }
        } else if !orphanedAt.isEmpty {
            // A replacement takes over every orphaned partition.
            let orphans = orphanedAt.keys.sorted()
            orphanedAt = [:]
            try give(orphans, to: session)
        } else {
            try sendAssignment(worker)  // a spare with nothing yet
        }
    }

    func startRun() throws {
        started = true
        let ranked = workers.values.sorted { $0.rank < $1.rank }
        var plan: [UInt64: [Int]] = [:]
        for p in 0..<cluster.partitions { plan[ranked[p % ranked.count].session, default: []].append(p) }
        for w in ranked { try give(plan[w.session] ?? [], to: w.session) }
        epochStart = ResourceUsage.now()
        logger.info("run started", metadata: ["workers": "\(ranked.count)", "epoch": "\(run.position.epoch)", "step": "\(run.position.step)"])
    }

    func give(_ partitions: [Int], to session: UInt64) throws {
        guard var w = workers[session] else { return }
        w.partitions = Array(Set(w.partitions + partitions)).sorted()
        workers[session] = w
        for p in partitions { owners[p] = session }
        try sendAssignment(w)
        logger.info("assigned", metadata: ["rank": "\(w.rank)", "partitions": "\(w.partitions)"])
        // Sampling requests held for these partitions can now go to their owner.
        for (r, requester) in heldSamples where partitions.contains(r.owner) {
            heldSamples[r] = nil
            try route(r, from: requester)
        }
    }

    func sendWelcome(_ w: Worker) throws {
        let plan = run.plan
        try link.send(.welcome(Welcome(
            session: w.session, rank: w.rank, configYAML: settings.configYAML, seed: config.seed, epochs: config.training.epochs,
            stepsPerEpoch: plan.stepsPerEpoch, linkCounts: plan.links.map(\.users.count), nodeCounts: plan.graph.nodeCounts,
            owners: plan.book.owners, tableRows: plan.tables.map(\.rows), tableDimensions: plan.tables.map(\.dimension),
            codec: codecOptions)), to: w.envelope)
    }

    func sendAssignment(_ w: Worker) throws {
        let plan = run.plan
        let shard = GraphShard(graph: plan.graph, book: plan.book, partitions: w.partitions)
        try link.send(.assignment(Assignment(
            session: w.session, partitions: w.partitions, targets: shard.targets, offsets: shard.offsets, sources: shard.sources,
            linkUsers: w.partitions.map { plan.links[$0].users }, linkItems: w.partitions.map { plan.links[$0].items })), to: w.envelope)
    }

    /// Declares silent workers dead, orphaning their partitions; after `takeover_ms` without a
    /// replacement, the survivors absorb the orphans.
    func detectFailures(now: Double) {
        let timeout = Double(cluster.workerTimeoutMilliseconds) / 1000
        let hung = Double(cluster.taskTimeoutMilliseconds) / 1000
        for (session, w) in workers where now - w.lastSeen > timeout || now - (w.taskSince ?? now) > hung {
            let why = now - w.lastSeen > timeout ? "no heartbeat for \(String(format: "%.1f", now - w.lastSeen)) s"
                : "task held for \(String(format: "%.1f", now - w.taskSince!)) s (hung)"
            logger.warning("worker lost", metadata: ["rank": "\(w.rank)", "name": "\(w.name)", "reason": "\(why)",
                                                     "orphaned": "\(w.partitions)"])
            workers[session] = nil
            for p in w.partitions { owners[p] = nil; orphanedAt[p] = now }
            for (id, pending) in pendingSamples where pending.request.owner >= 0 && w.partitions.contains(pending.request.owner) {
                // The owner died before answering: ask the next owner.
                pendingSamples[id] = nil
                heldSamples[pending.request] = pending.requester
            }
        }
        guard started, !orphanedAt.isEmpty, !workers.isEmpty,
              let oldest = orphanedAt.values.min(), now - oldest > Double(cluster.takeoverMilliseconds) / 1000 else { return }
        let orphans = orphanedAt.keys.sorted()
        orphanedAt = [:]
        logger.warning("no replacement came: survivors absorb the orphaned partitions", metadata: ["partitions": "\(orphans)"])
        for p in orphans {
            let target = workers.values.min { ($0.partitions.count, $0.rank) < ($1.partitions.count, $1.rank) }!
            try? give([p], to: target.session)
        }
    }

    // MARK: Scheduling

    /// Answers held task requests that can now run (or learn the run is over).
    func dispatch() {
        guard started else { return }
        for (session, w) in workers where w.waiting {
            if run.finished {
                try? link.send(.finished, to: w.envelope)
                finishedSent.insert(session)
                workers[session]!.waiting = false
                continue
            }
            guard let (p, step) = nextTask(for: w) else { continue }
            workers[session]!.waiting = false
            workers[session]!.taskSince = ResourceUsage.now()
            try? link.send(.task(session: session, partition: p, epoch: step.epoch, step: step.step), to: w.envelope)
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

    /// After a push: moves the run past every step all partitions have given, ends the epoch
    /// when its last step is in, and writes checkpoints.
    func advance() throws {
        let slowest = run.server.cursors.min() ?? 0
        while run.globalStep < slowest, !run.epochComplete, run.server.version >= run.globalStep + (cluster.mode == .sync ? 1 : 0) {
            run.advanceStep()
            if cluster.checkpointEvery > 0, run.globalStep % cluster.checkpointEvery == 0, !run.epochComplete {
                try checkpoints?.save(run, logger: logger)
            }
        }
        guard run.epochComplete else { return }
        let seconds = ResourceUsage.now() - epochStart
        let record = run.finishEpoch(seconds: seconds)
        let line = epochStats.line(epoch: record.epoch, seconds: seconds, steps: run.stepsPerEpoch, record: record,
                                   metric: config.evaluation.validMetric, link: link)
        onProgress?(line)
        logger.info("\(line)")
        epochStats = EpochStats(sentBase: link.bytesSent, receivedBase: link.bytesReceived, payloadBase: link.payload)
        try checkpoints?.save(run, logger: logger)
        epochStart = ResourceUsage.now()
    }

    // MARK: Sampling requests

    /// Sends a sampling request to the current owner of its partition, or holds it until the
    /// partition has one.
    func route(_ r: SampleRequest, from requester: [UInt8]) throws {
        guard let session = owners[r.owner], let owner = workers[session] else {
            heldSamples[r] = requester
            return
        }
        let id = nextSampleID
        nextSampleID += 1
        pendingSamples[id] = (requester, r)
        var forwarded = r
        forwarded.requestID = id
        try link.send(.sampleRequest(forwarded), to: owner.envelope)
    }
}
