import Logging
import TrellisCore
import TrellisTensor
import TrellisTraining
import TrellisWire

/// One parameter-server shard's logic as a state machine (see `CoordinatorRole`): it joins the
/// coordinator, takes its shard's state, answers workers' pulls and applies their granted
/// pushes, gives its state back when asked, and joins again when the coordinator restarts.
/// `ServerNode` is the shell with the two sockets.
///
///     coordinator ── serverWelcome, shardState, stateRequest, finished ──▶ ┐
///     workers ────── join(token), pull, push(grant) ─────────────────────▶ ├ handle ─▶ [Directive]
///     clock ──────── tick (join retries, heartbeats, giving up) ─────────▶ ┘
public final class ServerRole {
    public struct Settings {
        public var token: String
        /// The endpoint workers are told to connect to.
        public var endpoint: String
        public var joinTimeoutSeconds: Double = 60
        public init(token: String, endpoint: String) {
            self.token = token
            self.endpoint = endpoint
        }
    }

    public enum Event {
        case fromCoordinator(Message)
        case fromWorker(Message, envelope: [UInt8])
        case tick
    }

    public enum Directive {
        case toCoordinator(Message)
        case toWorker(Message, envelope: [UInt8])
        /// The welcome fixed the run's shapes: decode by these from now on.
        case limits(workers: WireLimits, coordinator: WireLimits, codec: CodecOptions)
        /// The shard holds its state.
        case ready(ServerWelcome)
        /// The run is over.
        case finished
    }

    let settings: Settings
    var logger: Logger
    var welcome: ServerWelcome?
    var config: TrainingConfig?
    var server: ParameterServer?
    var sharding = ServerSharding(count: 1)
    /// Workers that presented the token (ROUTER envelopes).
    var members = Set<[UInt8]>()
    var lastJoin = -Double.infinity
    var lastBeat: Double?
    var lastAnswer: Double?
    var outbox: [Directive] = []

    public init(settings: Settings, logger: Logger = Logger(label: "trellis.server")) {
        self.settings = settings
        self.logger = logger
    }

    // MARK: Events

    /// Handles one event at time `now`; throws when the server must stop (refused by the
    /// coordinator, or no answer from it within the join timeout).
    public func handle(_ event: Event, now: Double) throws -> [Directive] {
        outbox = []
        defer { outbox = [] }
        if lastAnswer == nil { lastAnswer = now }
        switch event {
        case .fromCoordinator(let message):
            lastAnswer = now
            try fromCoordinator(message)
        case .fromWorker(let message, let envelope):
            fromWorker(message, envelope)
        case .tick:
            try tick(now: now)
        }
        return outbox
    }

    /// Which workers' frames are decoded: a small join, then only members'.
    public func admission(_ p: Link.Peek) -> Link.Admission {
        if p.kind == .join { return p.bytes <= WireLimits.joinFrameBytes ? .decode : .refuse(.error("a join is at most \(WireLimits.joinFrameBytes) bytes")) }
        return p.envelope.map(members.contains) == true ? .decode : .refuse(.error("join this server first"))
    }

    func tick(now: Double) throws {
        if welcome == nil, now - lastJoin > 2 {
            outbox.append(.toCoordinator(.serverJoin(token: settings.token, endpoint: settings.endpoint)))
            lastJoin = now
        }
        if let w = welcome, now - (lastBeat ?? -.infinity) > 0.5 {
            outbox.append(.toCoordinator(.heartbeat(session: w.session, progress: 0)))
            lastBeat = now
        }
        if let last = lastAnswer, now - last >= settings.joinTimeoutSeconds {
            throw WorkerError.coordinatorLost("no answer from the coordinator for \(Int(settings.joinTimeoutSeconds)) s")
        }
    }

    // MARK: The coordinator

    func fromCoordinator(_ message: Message) throws {
        switch message {
        case .serverWelcome(let w):
            let parsed = try TrainingConfig.parse(yaml: w.spec, file: "<run spec from the coordinator>")
            welcome = w
            sharding = ServerSharding(count: w.shardCount)
            logger[metadataKey: "shard"] = "\(w.shard)"
            var limits = WireLimits()
            limits.tableRows = w.tableRows
            limits.tableDimensions = w.tableDimensions
            limits.tableKinds = w.tableKinds
            limits.denseShapes = w.shard == 0 ? w.denseShapes : []
            limits.partitionCount = w.partitionCount
            limits.shardCount = w.shardCount
            limits.sizeFromShapes()
            var control = limits
            control.denseShapes = w.denseShapes
            control.sizeFromShapes()
            outbox.append(.limits(workers: limits, coordinator: control, codec: w.codec))
            config = parsed
            server = nil
            logger.info("joined", metadata: ["shard": "\(w.shard) of \(w.shardCount)"])
        case .shardState(let s):
            guard let w = welcome, let config else { return }
            try load(s, welcome: w, config: config)
            outbox.append(.toCoordinator(.ack(applied: true)))
            outbox.append(.ready(w))
        case .stateRequest:
            guard let state = currentState() else { return }
            outbox.append(.toCoordinator(.shardState(state)))
        case .ack:
            break  // a heartbeat's answer
        case .finished:
            logger.info("run finished")
            outbox.append(.finished)
        case .stopped(let reason):
            throw ShardError("the coordinator stopped the run: \(reason)")
        case .error(let text):
            // Refused before any welcome (wrong token, every shard taken): nothing to wait for.
            guard welcome != nil else { throw ShardError("the coordinator refused this server: \(text)") }
            // The coordinator restarted: join again (next tick) and take the state it sends.
            logger.warning("re-joining", metadata: ["reason": "\(text)"])
            welcome = nil
            server = nil
            lastJoin = -.infinity
        default:
            logger.warning("unexpected message from the coordinator", metadata: ["kind": "\(message.kind)"])
        }
    }

    /// Builds this shard's store and optimizers from the coordinator's slice.
    func load(_ s: ShardState, welcome w: ServerWelcome, config: TrainingConfig) throws {
        guard s.shard == w.shard else { throw ShardError("state of shard \(s.shard) sent to shard \(w.shard)") }
        let store = ParameterStore()
        for (k, name) in w.tableNames.enumerated() {
            let expected = [sharding.rowCount(w.tableRows[k], shard: w.shard), w.tableDimensions[k]]
            guard k < s.tables.count, s.tables[k].shape == expected else { throw ShardError("table \(name): expected \(expected)") }
            store.addTable(name, s.tables[k], kind: w.tableKinds[k])
        }
        if w.shard == 0 {
            for (k, name) in w.denseNames.enumerated() {
                guard k < s.dense.count, s.dense[k].shape == w.denseShapes[k] else { throw ShardError("dense \(name): expected \(w.denseShapes[k])") }
                store.addDense(name, s.dense[k])
            }
        }
        let server = ParameterServer(store: store, partitionCount: w.partitionCount, training: config.training, cluster: config.cluster,
                                     stepsPerEpoch: w.stepsPerEpoch)
        // Every optimizer buffer is checked against this shard's rows before it is taken.
        do {
            try server.restore(version: s.version, cursors: s.cursors, dense: s.denseOptimizer, rows: s.rowOptimizer, lossSum: s.lossSum)
        } catch { throw ShardError("state of shard \(s.shard): \(error)") }
        self.server = server
        logger.info("holding shard", metadata: ["version": "\(s.version)", "rows": "\(store.tables.map(\.rowCount))",
                                                "dense": "\(store.dense.count)"])
    }

    func currentState() -> ShardState? {
        guard let server, let w = welcome else { return nil }
        let (dense, rows) = server.optimizerStates()
        return ShardState(shard: w.shard, version: server.version, cursors: server.cursors, lossSum: server.takeLoss(),
                          tables: server.store.tables.map(\.weights), dense: server.store.dense.map(\.value),
                          denseOptimizer: dense, rowOptimizer: rows)
    }

    // MARK: Workers

    func fromWorker(_ message: Message, _ envelope: [UInt8]) {
        func reply(_ m: Message) { outbox.append(.toWorker(m, envelope: envelope)) }
        if case .join(let token, let name) = message {
            guard token == settings.token else {
                logger.warning("rejected a worker: wrong cluster token", metadata: ["name": "\(name)"])
                return reply(.error("wrong cluster token"))
            }
            members.insert(envelope)
            return reply(.ack(applied: false))
        }
        guard members.contains(envelope) else {
            logger.warning("rejected a message from a worker that has not joined", metadata: ["kind": "\(message.kind)"])
            return reply(.error("join this server first"))
        }
        guard let server, let w = welcome else { return reply(.error("shard not loaded yet")) }
        do {
            switch message {
            case .pull(_, _, let g, let ids):
                if server.mode == .sync, g != server.version { throw ShardError("pull for step \(g), this shard is at \(server.version)") }
                let rows = try ids.enumerated().map { try server.rows(table: $0, ids: try localIDs($1)) }
                reply(.rows(rows: rows, dense: server.denseValues()))
            case .push(let session, let g, var c, _, let grant):
                guard grant == Grant(key: w.grantKey, session: session, partition: c.partition, globalStep: g, reductions: grant.reductions) else {
                    throw ShardError("a push for partition \(c.partition), step \(g) without the coordinator's grant for this session")
                }
                for t in c.rows.indices {
                    c.rows[t] = RowGradient(dimension: c.rows[t].dimension, rowIDs: try localIDs(c.rows[t].rowIDs), values: c.rows[t].values)
                }
                server.reductions = grant.reductions
                reply(.ack(applied: try server.accept(c, globalStep: g)))
            default:
                logger.warning("unexpected message from a worker", metadata: ["kind": "\(message.kind)"])
            }
        } catch {
            logger.warning("refused", metadata: ["kind": "\(message.kind)", "reason": "\(error)"])
            reply(.error("\(error)"))
        }
    }

    /// Global row ids -> this shard's local ones; a row of another shard is refused.
    func localIDs(_ ids: [Int32]) throws -> [Int32] {
        let shard = welcome?.shard ?? 0
        return try ids.map { id in
            guard sharding.shard(of: id) == shard else { throw ShardError("row \(id) belongs to shard \(sharding.shard(of: id)), not \(shard)") }
            return sharding.local(id)
        }
    }
}
