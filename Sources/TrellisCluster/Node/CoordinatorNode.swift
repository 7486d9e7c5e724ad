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
        /// Encryption of the ROUTER (`.curveServer` to require CURVE of every worker).
        public var security: SocketSecurity = .none
        /// Parameter-server processes to wait for (`trellis server start`); 0 hosts the
        /// parameter server in this process.
        public var servers = 0
        public init() {}
    }

    struct Worker {
        var session: UInt64
        var rank: Int
        var name: String
        var envelope: [UInt8]
        /// The socket its heartbeats come from: the first that beat for the session. Only
        /// the joining socket and this one count as signs of life.
        var heartbeatEnvelope: [UInt8]?
        var partitions: [Int] = []
        var lastSeen: Double
        /// A task request held until one of its partitions may run.
        var waiting = false
        /// When the task it is computing was handed out (nil when it holds none).
        var taskSince: Double?
        /// The task it holds: the only push it may make.
        var task: (partition: Int, globalStep: Int)?
    }

    /// A sampling request forwarded to the worker that owns its nodes.
    struct PendingSample {
        var requester: [UInt8]
        /// As the requester sent it (its own request id).
        var request: SampleRequest
        /// The session it was forwarded to: only its answer is taken.
        var owner: UInt64
        var since: Double
    }

    /// Sampling requests one session may have open (forwarded or held) at once.
    static let samplesPerSession = 256
    /// A pause of the loop longer than this is the coordinator's own stall, not its peers' silence.
    static let stallAllowance = 0.25

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
    var pendingSamples: [UInt64: PendingSample] = [:]
    /// Requests for partitions that have no owner now, with their requester and arrival.
    var heldSamples: [SampleRequest: (requester: [UInt8], since: Double)] = [:]
    /// Keys the grants of tasks (see `Message`); new for every coordinator process.
    let grantKey = SipHash.randomKey()
    /// When the loop last came round (see `forgiveStall`).
    var lastTick = 0.0
    /// Frames refused undecoded, for rate-limited logging.
    var refusals = 0
    var nextSampleID: UInt64 = 1
    var epochStart = 0.0
    var epochStats = EpochStats()
    let checkpoints: ClusterCheckpoints?
    /// Parameter-server processes by shard (empty without them).
    var servers: [ServerPeer?]
    var gathered: [Int: ShardState] = [:]
    var pendingGather: PendingGather?
    /// Called with each epoch's progress line.
    public var onProgress: ((String) -> Void)?

    public init(plan: TrainingPlan, dataset: PreparedDataset, settings: Settings,
                logger: Logger = Logger(label: "trellis.coordinator")) throws {
        run = TrainingRun(plan: plan, dataset: dataset)
        self.settings = settings
        self.logger = logger
        owners = Array(repeating: nil, count: plan.config.cluster.partitions)
        servers = Array(repeating: nil, count: settings.servers)
        if settings.servers > 1, plan.config.training.clipGradNorm != nil {
            throw PlanError("training.clip_grad_norm needs the whole gradient in one place: use one parameter server, not \(settings.servers)")
        }
        run.server.ledgerOnly = settings.servers > 0
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
        try settings.security.apply(to: socket)
        try socket.bind(settings.listen)
        var limits = WireLimits()
        limits.tableRows = run.plan.tables.map(\.rows)
        limits.tableDimensions = run.plan.tables.map(\.dimension)
        limits.denseShapes = run.server.store.dense.map(\.shape)
        limits.partitionCount = cluster.partitions
        limits.nodeCounts = run.plan.graph.nodeCounts
        limits.relationCount = run.plan.graph.relations.count
        limits.shardCount = max(settings.servers, 1)
        limits.sizeFromShapes()
        link = try Link(socket: socket, limits: limits, codec: codecOptions, logger: logger)
        link.admit = { [unowned self] in admission($0) }
        logger.info("listening", metadata: ["endpoint": "\((try? socket.lastEndpoint) ?? settings.listen)",
                                            "workers": "\(settings.workers)", "partitions": "\(cluster.partitions)"])
        var finishedAt: Double?
        lastTick = ResourceUsage.now()
        while true {
            if let (message, envelope) = try link.receive(timeoutMilliseconds: 20) {
                try handle(message, from: envelope ?? [])
            }
            let now = ResourceUsage.now()
            forgiveStall(now: now)
            detectFailures(now: now)
            try expireSamples(now: now)
            try checkServers(now: now)
            try progressGather()
            dispatch()
            if run.finished {
                if finishedAt == nil { tellServersFinished() }
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

    /// Which frames are decoded at all: a join (small), anything from a parameter-server
    /// process, and a member's messages from the sockets bound to its session. The rest is
    /// dropped after its CRC, before a byte of its contents is decoded.
    func admission(_ p: Link.Peek) -> Link.Admission {
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
        // Heartbeats of a previous coordinator's workers arrive often: not worth a warning each.
        let level: Logger.Level = (p.kind == .heartbeat && why == "unknown session") || (refusals > 10 && refusals % 1000 != 0) ? .debug : .warning
        logger.log(level: level, "rejected a message: \(why)", metadata: ["kind": "\(p.kind)", "bytes": "\(p.bytes)",
                                                                        "peer": "\(hex(p.envelope ?? []))", "refused": "\(refusals)"])
        return verdict
    }

    func handle(_ message: Message, from envelope: [UInt8]) throws {
        if case .serverJoin(let token, let endpoint) = message { return try admitServer(token: token, endpoint: endpoint, envelope: envelope) }
        if let shard = servers.firstIndex(where: { $0?.envelope == envelope }) { return try handleServer(message, shard: shard) }
        if case .join(let token, let name) = message { return try admit(token: token, name: name, envelope: envelope) }
        // `admission` let through only members' messages from their own sockets.
        guard let session = message.session, var worker = workers[session] else { return }
        switch message {
        case .heartbeat:
            guard worker.heartbeatEnvelope == nil || worker.heartbeatEnvelope == envelope else { return }
            worker.heartbeatEnvelope = envelope
            worker.lastSeen = ResourceUsage.now()
            workers[session] = worker
            return try link.send(.ack(applied: false), to: envelope)  // answered on the heartbeat socket
        case .sampleRequest(let r):
            // Any socket of the session may ask; asking is not a sign of life.
            return try accept(r, from: envelope)
        default:
            guard envelope == worker.envelope else { return }
        }
        worker.lastSeen = ResourceUsage.now()
        workers[session] = worker
        switch message {
        case .taskRequest:
            workers[session]!.waiting = true
            workers[session]!.taskSince = nil
            workers[session]!.task = nil
        case .pull(_, let p, let g, let ids):
            guard settings.servers == 0 else { return try refuse(envelope, "rows live on the parameter-server processes") }
            guard worker.partitions.contains(p) else { return try refuse(envelope, "partition \(p) is not assigned to you") }
            if cluster.mode == .sync, g != run.server.version { return try refuse(envelope, "pull for step \(g), the server is at \(run.server.version)") }
            let rows = try ids.enumerated().map { try run.server.rows(table: $0, ids: $1) }
            try link.send(.rows(rows: rows, dense: run.server.denseValues()), to: envelope)
        case .push(_, let g, let c, let timings, let grant):
            guard let task = worker.task, task.partition == c.partition, task.globalStep == g,
                  grant == self.grant(session: session, partition: c.partition, globalStep: g) else {
                return try refuse(envelope, "a push for partition \(c.partition), step \(g), which is not the task this session holds")
            }
            guard c.step.global(stepsPerEpoch: run.stepsPerEpoch) == g else { return try refuse(envelope, "step \(c.step) is not global step \(g)") }
            do {
                let applied = try run.server.accept(c, globalStep: g)
                workers[session]!.task = nil
                epochStats.add(c, timings: timings)
                try link.send(.ack(applied: applied), to: envelope)
                try advance()
            } catch let error as ServerError {
                logger.warning("rejected a push", metadata: ["session": "\(session)", "reason": "\(error)"])
                try refuse(envelope, "\(error)")
            }
        case .sampleReply(_, let id, let sample):
            guard let pending = pendingSamples[id], pending.owner == session else { return }
            pendingSamples[id] = nil
            try link.send(.sampleReply(session: 0, requestID: pending.request.requestID, sample: sample), to: pending.requester)
        case .sampleRefused(_, let id, let reason):
            guard let pending = pendingSamples[id], pending.owner == session else { return }
            pendingSamples[id] = nil
            try link.send(.sampleRefused(session: 0, requestID: pending.request.requestID, reason: "partition \(pending.request.owner): \(reason)"),
                          to: pending.requester)
        default:
            logger.warning("unexpected message", metadata: ["kind": "\(message.kind)", "session": "\(session)"])
        }
    }

    /// The grant of task (partition, global step) for `session`.
    func grant(session: UInt64, partition: Int, globalStep: Int) -> UInt64 {
        grantKey.tag([session, UInt64(partition), UInt64(globalStep)])
    }

    /// Time the loop itself did not run (a SIGSTOP, a long evaluation or checkpoint) is not
    /// the peers' silence: every clock that measures them moves forward by it.
    func forgiveStall(now: Double) {
        let gap = now - lastTick
        lastTick = now
        guard gap > Self.stallAllowance else { return }
        logger.info("the coordinator's loop stalled; not counted against its peers", metadata: ["seconds": "\(String(format: "%.2f", gap))"])
        for (session, w) in workers {
            workers[session]!.lastSeen = min(now, w.lastSeen + gap)
            workers[session]!.taskSince = w.taskSince.map { min(now, $0 + gap) }
        }
        for k in servers.indices where servers[k] != nil { servers[k]!.lastSeen = min(now, servers[k]!.lastSeen + gap) }
        orphanedAt = orphanedAt.mapValues { min(now, $0 + gap) }
        for id in pendingSamples.keys { pendingSamples[id]!.since = min(now, pendingSamples[id]!.since + gap) }
        for r in heldSamples.keys { heldSamples[r]!.since = min(now, heldSamples[r]!.since + gap) }
    }

    func refuse(_ envelope: [UInt8], _ why: String) throws {
        logger.warning("refused", metadata: ["reason": "\(why)"])
        try link.send(.error(why), to: envelope)
    }
}
