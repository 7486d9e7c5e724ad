import Foundation
import Logging
import TrellisCore
import TrellisGraph
import TrellisTensor
import TrellisTraining
import TrellisTransport
import TrellisWire

/// `trellis coordinator start`: the shell around `CoordinatorRole`. It owns the ROUTER socket
/// (one thread), feeds the role every message and a tick each loop with the clock's time,
/// and carries out its directives: frames out, checkpoints to disk, progress lines.
public final class CoordinatorNode {
    public struct Settings {
        public var listen = "tcp://*:5555"
        /// Workers to wait for before the first step.
        public var workers = 1
        public var token = ""
        public var checkpointDirectory: String?
        public var resume = false
        /// Encryption of the ROUTER (`.curveServer` to require CURVE of every worker).
        public var security: SocketSecurity = .none
        /// Parameter-server processes to wait for (`trellis server start`); 0 hosts the
        /// parameter server in this process.
        public var servers = 0
        /// `HOST:PORT` to serve the run's metrics on (Prometheus text, GET /metrics), if any.
        public var metricsListen: String?
        /// Test the starting weights once on the workers and finish without training; the
        /// process's peak memory is reset when the round starts, so `evaluationMemory` is the
        /// round's alone (`bench-eval --mode workers`).
        public var evaluateOnly = false
        public init() {}
    }

    public let run: TrainingRun
    public let role: CoordinatorRole
    let settings: Settings
    var logger: Logger
    var link: Link!
    let checkpoints: ClusterCheckpoints?
    /// Byte counters at the start of the epoch, for the progress line.
    var bases = EpochStats()
    /// Called with each epoch's progress line.
    public var onProgress: ((String) -> Void)?
    /// Called with each line of the run's `cluster.jsonl`: epochs' figures and the timeline.
    public var onCluster: ((ClusterRecord) -> Void)?
    /// The checkpoint the run resumed from, if it did.
    var resumedFrom: String?
    /// When serving began (the timeline's zero).
    var servingSince = 0.0
    /// Resident bytes when the last evaluation round started and the peak until it ended.
    public private(set) var evaluationMemory: (residentBefore: Int, peak: Int)?
    var residentAtEvaluation = 0
    /// Serves `metricsText()` (refreshed about once a second and at every epoch end).
    let metrics: TextEndpoint?
    var metricsUpdated = 0.0

    public init(plan: TrainingPlan, dataset: PreparedDataset?, settings: Settings,
                logger: Logger = Logger(label: "trellis.coordinator")) throws {
        run = try TrainingRun(plan: plan, dataset: dataset)
        // Bound before the run is built further, so a taken port fails the start at once.
        metrics = try settings.metricsListen.map { try TextEndpoint(listen: $0) }
        self.settings = settings
        self.logger = logger
        var roleSettings = CoordinatorRole.Settings()
        roleSettings.workers = settings.workers
        roleSettings.token = settings.token
        roleSettings.servers = settings.servers
        roleSettings.checkpoints = settings.checkpointDirectory != nil
        roleSettings.codec = CodecOptions(plan.config.cluster)
        roleSettings.evaluateOnly = settings.evaluateOnly
        role = try CoordinatorRole(run: run, settings: roleSettings, logger: logger)
        checkpoints = settings.checkpointDirectory.map { ClusterCheckpoints(directory: $0, keep: plan.config.cluster.checkpointsKept) }
        if settings.resume, let checkpoints {
            if let resumed = try checkpoints.restoreLatest(into: run, logger: logger) {
                logger.info("resumed", metadata: ["checkpoint": "\(resumed)", "epoch": "\(run.position.epoch)", "step": "\(run.position.step)"])
                resumedFrom = resumed
            } else {
                logger.info("no intact checkpoint to resume from; starting fresh")
            }
        }
    }

    var cluster: ClusterSettings { run.config.cluster }

    // MARK: The loop

    /// Serves until the run is finished; returns the final summary (best weights, tested).
    public func serve() throws -> RunSummary {
        let socket = try ZMQSocket(.router)
        try settings.security.apply(to: socket)
        try socket.bind(settings.listen)
        link = try Link(socket: socket, limits: WireLimits(run: run, servers: settings.servers), codec: role.settings.codec, logger: logger)
        link.admit = { [unowned role] in role.admission($0) }
        servingSince = ResourceUsage.now()
        if let resumedFrom { record(.resumed, detail: resumedFrom) }
        if let metrics {
            metrics.update(metricsText())
            logger.info("serving metrics", metadata: ["endpoint": "http://\(settings.metricsListen ?? ""):\(metrics.port)\(metrics.path)"])
        }
        logger.info("listening", metadata: ["endpoint": "\((try? socket.lastEndpoint) ?? settings.listen)",
                                            "workers": "\(settings.workers)", "partitions": "\(cluster.partitions)"])
        do {
            while !role.isDone {
                if let (message, envelope) = try link.receive(timeoutMilliseconds: 20) {
                    try carryOut(role.handle(.message(message, from: envelope ?? []), now: ResourceUsage.now()))
                }
                try carryOut(role.handle(.tick, now: ResourceUsage.now()))
                if let metrics, ResourceUsage.now() - metricsUpdated > 1 {
                    metrics.update(metricsText())
                    metricsUpdated = ResourceUsage.now()
                }
            }
            metrics?.update(metricsText())
        } catch {
            try? carryOut(role.stop(because: error))
            Thread.sleep(forTimeInterval: 0.2)  // let ZeroMQ put the words on the wire before the socket closes
            socket.close()
            throw error
        }
        socket.close()
        return run.summary(test: role.testMetrics)
    }

    /// Does what the role said, in order; a written checkpoint is reported back at once.
    func carryOut(_ directives: [CoordinatorRole.Directive]) throws {
        for d in directives {
            switch d {
            case .send(let message, let envelope):
                try link.send(message, to: envelope)
            case .assign(let partitions, let session, let envelope):
                if case .folder(let folder) = run.plan.source, partitions.count == 1 {
                    // Its file as it is, the session written in: one copy here, however large the partition.
                    try link.send(frameBytes: folder.frameBytes(partitions[0]), to: envelope) {
                        try folder.frame(partitions[0], session: session, into: $0)
                    }
                } else {
                    try link.send(.assignment(run.plan.assignment(session: session, partitions: partitions)), to: envelope)
                }
            case .saveCheckpoint:
                try checkpoints?.save(run, logger: logger)
                if checkpoints != nil { record(.checkpoint, detail: String(format: "ckpt-%09d", run.globalStep)) }
                try carryOut(role.handle(.checkpointSaved, now: ResourceUsage.now()))
            case .epochEnded(let record, let seconds, var stats):
                (stats.sentBase, stats.receivedBase, stats.payloadBase) = (bases.sentBase, bases.receivedBase, bases.payloadBase)
                let r = stats.record(epoch: record.epoch, seconds: seconds, steps: run.stepsPerEpoch,
                                     at: ResourceUsage.now() - servingSince, workers: role.memberCount, link: link)
                let metric = run.config.evaluation.validMetric
                let line = EpochStats.line(r, loss: record.loss, metric: metric, value: record.metrics[metric])
                onProgress?(line)
                onCluster?(r)
                metrics?.update(metricsText())
                logger.info("\(line)")
                bases = EpochStats(sentBase: link.bytesSent, receivedBase: link.bytesReceived, payloadBase: link.payload)
            case .membership(let joined, let detail):
                record(joined ? .workerJoined : .workerLost, detail: detail)
            case .evaluationStarted(let part):
                // Nothing else reports this process's peak in evaluate-only mode.
                if settings.evaluateOnly { ResourceUsage.resetPeak() }
                residentAtEvaluation = ResourceUsage.residentBytes()
                logger.info("evaluating on the workers", metadata: ["part": "\(part)", "resident_bytes": "\(residentAtEvaluation)"])
            case .evaluationEnded(let part, let seconds):
                evaluationMemory = (residentAtEvaluation, ResourceUsage.peakResidentBytes())
                logger.info("evaluated on the workers", metadata: ["part": "\(part)", "seconds": "\(seconds)",
                                                                   "peak_bytes": "\(evaluationMemory!.peak)"])
            }
        }
    }
}

extension CodecOptions {
    /// The gradient encoding a run's cluster settings ask for.
    init(_ cluster: ClusterSettings) {
        self.init(encoding: ValueEncoding(cluster.valueEncoding), shuffle: cluster.shuffle, lz4: cluster.compress)
    }
}

extension ValueEncoding {
    /// The encoding a config names (`cluster.value_encoding`, a feature table's `dtype`).
    init(_ setting: ClusterSettings.ValueEncoding) {
        switch setting {
        case .float32: self = .float32
        case .float16: self = .float16
        case .bfloat16: self = .bfloat16
        }
    }
}

extension WireLimits {
    /// What the coordinator of `run` accepts, sized from its shapes.
    init(run: TrainingRun, servers: Int) {
        self.init()
        tableRows = run.plan.tables.map(\.rows)
        tableDimensions = run.plan.tables.map(\.dimension)
        tableKinds = run.plan.tables.map(\.kind)
        denseShapes = run.server.store.dense.map(\.shape)
        partitionCount = run.config.cluster.partitions
        nodeCounts = run.plan.schema.nodeCounts
        relationCount = run.plan.schema.relations.count
        shardCount = max(servers, 1)
        sizeFromShapes()
    }
}

extension CoordinatorNode {
    /// An event on the run's timeline, at the step the run stands at.
    func record(_ kind: ClusterRecord.Kind, detail: String) {
        onCluster?(ClusterRecord(kind: kind, epoch: run.position.epoch, step: run.position.step,
                                 at: ResourceUsage.now() - servingSince, detail: detail))
    }
}
