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

    func handle(_ message: Message, from envelope: [UInt8]) throws {
        if case .serverJoin(let token, let endpoint) = message { return try admitServer(token: token, endpoint: endpoint, envelope: envelope) }
        if let shard = servers.firstIndex(where: { $0?.envelope == envelope }) { return try handleServer(message, shard: shard) }
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
        // A worker samples on a second socket (its prefetch thread); everything else must
        // come from the socket that joined.
        guard envelope == worker.envelope || message.kind == .sampleRequest else {
            logger.warning("rejected a message: session used from another socket", metadata: ["session": "\(session)"])
            return
        }
        workers[session] = worker
        switch message {
        case .taskRequest:
            workers[session]!.waiting = true
            workers[session]!.taskSince = nil
        case .pull(_, let p, let g, let ids):
            guard settings.servers == 0 else { return try refuse(envelope, "rows live on the parameter-server processes") }
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
}
