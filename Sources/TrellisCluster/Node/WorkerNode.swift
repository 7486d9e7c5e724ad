import Foundation
import Logging
import TrellisCore
import TrellisEval
import TrellisGraph
import TrellisModels
import TrellisTensor
import TrellisTraining
import TrellisTransport
import TrellisWire

/// `trellis worker join`: the shell around `WorkerRole`. It joins a coordinator, receives its
/// rank, partitions and run spec, then computes the tasks the role hands it: sample (asking
/// owners of remote nodes through the coordinator), pull rows and weights, compute, push.
/// While it waits for anything it feeds the role every message, so other workers' sampling
/// requests are answered and new assignments taken.
///
/// Threads: the main thread owns the work socket and computes; a prefetch thread samples the
/// next batch meanwhile, asking owners through a socket of its own (`SampleClient`); a
/// heartbeat thread owns a third.
public final class WorkerNode {
    public struct Settings {
        public var coordinator: String
        public var token: String
        public var name: String
        /// Give up if the coordinator cannot be reached (or re-reached) for this long.
        public var joinTimeoutSeconds: Double = 60
        /// Encryption of both sockets (`.curveClient` for a coordinator started with CURVE).
        public var security: SocketSecurity = .none
        /// Fault injection for tests: after this many tasks the main thread stops working
        /// while the heartbeat thread goes on beating (a hung worker).
        public var hangAfterTasks: Int?
        public init(coordinator: String, token: String, name: String) {
            self.coordinator = coordinator
            self.token = token
            self.name = name
        }
    }

    let settings: Settings
    var logger: Logger
    var link: Link!
    var role: WorkerRole!
    var session: UInt64 { role.session }
    /// Tasks computed (for `hangAfterTasks`).
    var tasks = 0
    var welcome: Welcome?
    var config = TrainingConfig()
    var stepper: PartitionStepper?
    var source: ShardedNeighbourSource?
    var heartbeat: Heartbeat?
    var prefetcher: BatchPrefetcher?
    /// The parameter-server processes, when the coordinator does not host the parameters.
    var shards: ServerLinks?
    /// Where steps pull rows and push gradients: the shards, or the coordinator.
    var parameters: ParameterClient?
    /// Timings since the last push, for the coordinator's progress line.
    var pushSeconds = 0.0
    /// The model evaluation tasks run (dense weights from each task), the neighbour source
    /// they sample with (its own socket, on this thread), and each owned partition's users'
    /// held-out links.
    var evaluationModel: SampledRecommender?
    var evaluationSource: ShardedNeighbourSource?
    var evaluationClient: SampleClient?
    var shares: [Int: EvaluationShare] = [:]

    public init(settings: Settings, logger: Logger = Logger(label: "trellis.worker")) {
        self.settings = settings
        self.logger = logger
    }

    /// Works until the coordinator says the run is finished. A coordinator that restarts
    /// (with `--resume`) is re-joined with a new role.
    public func run() throws {
        MemoryTuning.keepFreedBuffersInOneArena()
        BLAS.setThreadCount(1)
        while true {
            do {
                try serve()
                heartbeat?.stop()
                prefetcher?.stop()
                logger.info("run finished", metadata: ["rank": "\(welcome?.rank ?? -1)"])
                return
            } catch WorkerError.rejoin(let why) {
                logger.warning("re-joining", metadata: ["reason": "\(why)"])
                heartbeat?.stop()
                heartbeat = nil
                prefetcher?.stop()
            }
        }
    }

    /// One membership: a new socket and role, fed until the run is over.
    func serve() throws {
        let socket = try ZMQSocket(.dealer)
        try socket.setReconnectInterval(milliseconds: 100, maxMilliseconds: 1000)
        try settings.security.apply(to: socket)
        try socket.connect(settings.coordinator)
        link = try Link(socket: socket, limits: WireLimits(), codec: .default, logger: logger)
        var roleSettings = WorkerRole.Settings(token: settings.token, name: settings.name)
        roleSettings.joinTimeoutSeconds = settings.joinTimeoutSeconds
        role = WorkerRole(settings: roleSettings, logger: logger)
        welcome = nil
        while !role.isFinished {
            try pulse()
            if let (message, _) = try link.receive(timeoutMilliseconds: 100) { try route(message) }
        }
    }

    /// The clock and the heartbeat's news, for the role.
    func pulse() throws {
        let p = WorkerRole.Pulse(silentSeconds: heartbeat?.silentSeconds ?? 0, rejected: heartbeat?.sessionRejected ?? false)
        try carryOut(role.handle(.tick(p), now: ResourceUsage.now()))
    }

    /// A message from the coordinator, for the role.
    func route(_ message: Message) throws {
        try carryOut(role.handle(.fromCoordinator(message), now: ResourceUsage.now()))
    }

    func carryOut(_ directives: [WorkerRole.Directive]) throws {
        for d in directives {
            switch d {
            case .toCoordinator(let m): try link.send(m)
            case .accept(let w): try accept(w)
            case .assign(let a): try assign(a)
            case .compute(let p, let step, let grant): try compute(partition: p, step: step, grant: grant)
            case .computeLayer(let t): try computeLayer(t)
            case .score(let t): try score(t)
            case .serve(let r): try serve(r)
            case .finished: break
            }
        }
    }

    func accept(_ w: Welcome) throws {
        let cfg = try TrainingConfig.parse(yaml: w.spec, file: "<run spec from the coordinator>")
        config = cfg
        ComputeThreads.configure(cfg)
        welcome = w
        logger[metadataKey: "rank"] = "\(w.rank)"
        var limits = WireLimits()
        limits.tableRows = w.tableRows
        limits.tableDimensions = w.tableDimensions
        limits.tableKinds = w.tableKinds
        limits.partitionCount = w.exampleCounts.count
        limits.nodeCounts = w.nodeCounts
        limits.relationCount = w.schema.relations.count
        let model = try TrainingPlan.makeModel(cfg, relations: w.schema.relations, nodeTypeCount: w.nodeCounts.count)
        let input = InputLayer(schema: w.schema, dimension: cfg.model.embeddingSize, seed: cfg.seed)
        limits.denseShapes = (model.parameters.dense + input.parameters.dense).map(\.shape)
        evaluationModel = model
        link.limits = limits
        link.codec = w.codec
        heartbeat = try Heartbeat(endpoint: settings.coordinator, session: w.session,
                                  intervalMilliseconds: cfg.cluster.heartbeatMilliseconds, security: settings.security, logger: logger)
        shards?.close()
        shards = nil
        parameters = CoordinatorParameters(worker: self)
        if !w.servers.isEmpty {
            let links = try ServerLinks(endpoints: w.servers, limits: limits, codec: w.codec, security: settings.security,
                                        giveUpSeconds: settings.joinTimeoutSeconds, logger: logger)
            (links.session, links.dimensions) = (w.session, w.tableDimensions)
            links.waiting = { [unowned self] in try pulse() }
            try links.join(token: settings.token, name: settings.name)
            // From now on, waiting for a shard is time to answer other workers' sampling requests.
            links.waiting = { [unowned self] in try answerOthers() }
            shards = links
            parameters = links
        }
        // A whole-graph model or a full softmax pulls every row each task: once per step is
        // enough in sync mode, once per `cluster.table_staleness` + 1 steps where async mode
        // allows a stale copy, and once per run for a frozen table.
        if let inner = parameters {
            parameters = WholeTableCache(inner, tableRows: w.tableRows, tableKinds: w.tableKinds, sync: cfg.cluster.mode == .sync,
                                         staleness: cfg.cluster.tableStaleness)
        }
        logger.info("joined", metadata: ["session": "\(w.session)", "partitions": "\(w.exampleCounts.count)",
                                         "parameter_servers": "\(w.servers.count)"])
    }

    func assign(_ a: Assignment) throws {
        guard let w = welcome else { return }
        let relations = w.schema.relations
        let shard = try GraphShard(partitions: a.partitions, targets: a.targets, offsets: a.offsets, sources: a.sources,
                                   values: a.values, valueWidths: relations.map(\.attributes.count),
                                   nodeCounts: relations.map { w.nodeCounts[$0.target] })
        let book = PartitionBook(partitionCount: w.exampleCounts.count, owners: w.owners)
        let source = ShardedNeighbourSource(shard: shard, book: book, relations: relations)
        // Batches are sampled on the prefetch thread (or, with prefetch off, on this one); the
        // client's socket belongs to whichever thread samples.
        let client = SampleClient(endpoint: settings.coordinator, session: session, limits: link.limits,
                                  giveUpSeconds: settings.joinTimeoutSeconds, security: settings.security, logger: logger)
        source.remote = { owner, relation, nodes, fanout, tag in
            try client.sample(owner: owner, relation: relation, nodes: nodes, fanout: fanout, tag: tag)
        }
        var links: [Int: (users: [Int32], items: [Int32])] = [:], ratings: [Int: [Float]] = [:]
        shares = [:]
        for (k, p) in a.partitions.enumerated() {
            links[p] = (a.linkUsers[k], a.linkItems[k])
            if k < a.linkRatings.count { ratings[p] = a.linkRatings[k] }
            // Ranking reads only the training links' items (the mask), not their ratings.
            let train = RatedPairs(users: a.linkUsers[k], items: a.linkItems[k],
                                   ratings: ratings[p] ?? Array(repeating: 1, count: a.linkUsers[k].count))
            if k < a.validLinks.count { shares[p] = EvaluationShare(train: train, valid: a.validLinks[k], test: a.testLinks[k]) }
        }
        self.source = source
        // Evaluation samples on this thread: a client (socket) of its own.
        let evaluationClient = SampleClient(endpoint: settings.coordinator, session: session, limits: link.limits,
                                            giveUpSeconds: settings.joinTimeoutSeconds, security: settings.security, logger: logger)
        evaluationClient.whileWaiting = { [unowned self] in try self.answerOthers() }
        let evaluationSource = ShardedNeighbourSource(shard: shard, book: book, relations: relations)
        evaluationSource.remote = { owner, relation, nodes, fanout, tag in
            try evaluationClient.sample(owner: owner, relation: relation, nodes: nodes, fanout: fanout, tag: tag)
        }
        self.evaluationClient?.close()
        (self.evaluationClient, self.evaluationSource) = (evaluationClient, evaluationSource)
        stepper = try PartitionStepper(config: config, schema: w.schema, source: source, links: links,
                                       exampleCounts: w.exampleCounts, tableDimensions: w.tableDimensions,
                                       ratings: ratings, ratingMean: w.ratingMean, ratingScale: w.ratingScale)
        prefetcher?.stop()
        prefetcher = nil
        if config.cluster.prefetch, let stepper = self.stepper {
            prefetcher = BatchPrefetcher(prepare: { try stepper.prepare(partition: $0.partition, step: $0.step) },
                                         onExit: { client.close() })
        } else {
            client.whileWaiting = { [unowned self] in try self.answerOthers() }
        }
        logger.info("assigned partitions", metadata: ["partitions": "\(a.partitions)", "edges": "\(shard.edgeCount)",
                                                      "adjacency_bytes": "\(shard.byteCount)"])
    }

    // MARK: Working

    /// Computes one task and hands the role what the coordinator keeps its books with.
    func compute(partition: Int, step: StepID, grant: Grant) throws {
        tasks += 1
        if let n = settings.hangAfterTasks, tasks > n {
            logger.warning("hanging on purpose (--test-hang-after-tasks)")
            while true { Thread.sleep(forTimeInterval: 1) }
        }
        guard let stepper, let parameters else { throw WorkerError.rejoin("a task before any assignment") }
        let global = step.global(stepsPerEpoch: welcome!.stepsPerEpoch)
        let batch = try prepared(StepKey(partition: partition, step: step), stepper: stepper)
        let c = try stepper.compute(batch) { ids in try parameters.pull(partition: partition, globalStep: global, ids: ids) }
        let t = stepper.takeTimings()
        let start = ResourceUsage.now()
        // A diverged step goes to no parameter server: its books alone tell the coordinator,
        // which stops the run and tells every process why.
        let report = c.loss.isFinite ? try parameters.push(c, globalStep: global, grant: grant) : c.books
        let timings = [Float(t.sample), Float(t.pull), Float(t.compute), Float(pushSeconds)]
        pushSeconds = ResourceUsage.now() - start
        try carryOut(role.handle(.computed(report: report, globalStep: global, grant: grant, timings: timings), now: ResourceUsage.now()))
    }

    /// `key`'s batch, from the prefetch thread (which then starts on the likely next task), or
    /// sampled here when prefetch is off. Other workers' sampling requests are answered while
    /// waiting: theirs may be what this worker's prefetch thread is waiting on, and the reverse.
    func prepared(_ key: StepKey, stepper: PartitionStepper) throws -> PreparedBatch {
        let start = ResourceUsage.now()
        defer { stepper.addSampleWait(ResourceUsage.now() - start) }
        guard let prefetcher else { return try stepper.prepare(partition: key.partition, step: key.step) }
        let next = key.next(partitions: stepper.partitions, stepsPerEpoch: welcome!.stepsPerEpoch, epochs: config.training.epochs)
        prefetcher.want([key] + (next.map { [$0] } ?? []))
        while true {
            do {
                if let batch = try prefetcher.take(key, waitMilliseconds: 1) { return batch }
            } catch {
                throw WorkerError.rejoin("sampling \(key) failed: \(error)")
            }
            try pulse()
            if let (message, _) = try link.receive(timeoutMilliseconds: 1) { try route(message) }
        }
    }

    /// Waits for a message `wanted` accepts, serving sampling requests and new assignments
    /// meanwhile. An `error` reply (e.g. an unknown session after a coordinator restart) or a
    /// silent coordinator makes the worker re-join.
    func waitFor(_ wanted: (Message) -> Bool) throws -> Message {
        while true {
            try pulse()
            guard let (message, _) = try link.receive(timeoutMilliseconds: 100) else { continue }
            if wanted(message) { return message }
            try route(message)
        }
    }

    /// Answers what other workers asked meanwhile (called while waiting on another socket).
    func answerOthers() throws {
        try pulse()
        if let (message, _) = try link.receive(timeoutMilliseconds: 0) { try route(message) }
    }

    /// Answers another worker's request for the neighbours of nodes this worker owns; one it
    /// cannot serve is refused, so the requester is not left waiting.
    func serve(_ r: SampleRequest) throws {
        let reply: Message
        do {
            guard let source else { throw WorkerError.rejoin("no partitions assigned yet") }
            reply = .sampleReply(session: session, requestID: r.requestID,
                                 sample: try source.sampleLocal(relation: r.relation, nodes: r.nodes, fanout: r.fanout, tag: r.tag))
        } catch {
            logger.warning("cannot serve a sampling request", metadata: ["reason": "\(error)"])
            reply = .sampleRefused(session: session, requestID: r.requestID, reason: "\(error)")
        }
        try link.send(reply)
    }
}

/// Why a worker stops or starts over.
public enum WorkerError: Error, CustomStringConvertible {
    case refused(String)
    case coordinatorLost(String)
    case rejoin(String)
    /// The coordinator stopped the run.
    case stopped(String)

    public var description: String {
        switch self {
        case .refused(let why): return "the coordinator refused this worker: \(why)"
        case .coordinatorLost(let why): return "lost the coordinator: \(why)"
        case .rejoin(let why): return "re-joining: \(why)"
        case .stopped(let why): return "the coordinator stopped the run: \(why)"
        }
    }
}
