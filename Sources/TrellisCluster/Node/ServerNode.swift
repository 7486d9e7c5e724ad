import Foundation
import Logging
import TrellisCore
import TrellisTensor
import TrellisTraining
import TrellisTransport
import TrellisWire

/// `trellis server start`: one shard of the parameter server in a process of its own. It joins
/// the coordinator (which gives it a shard index and the shard's state), then serves workers'
/// pulls and pushes for the rows it holds (row r on shard r % count; dense weights on shard 0),
/// applying the optimizer exactly as the in-process server does. Before a checkpoint or an
/// evaluation the coordinator asks for the shard's state back.
///
/// One thread owns both sockets: a DEALER to the coordinator (control, heartbeats) and a
/// ROUTER that workers connect to.
public final class ServerNode {
    public struct Settings {
        public var coordinator: String
        /// Where workers connect: bound here, advertised to workers as `advertise`.
        public var listen: String
        public var advertise: String?
        public var token: String
        /// Toward the coordinator (`.curveClient`), and toward workers (`.curveServer`).
        public var coordinatorSecurity: SocketSecurity = .none
        public var workerSecurity: SocketSecurity = .none
        public var joinTimeoutSeconds: Double = 60
        public init(coordinator: String, listen: String, token: String) {
            self.coordinator = coordinator
            self.listen = listen
            self.token = token
        }
    }

    let settings: Settings
    var logger: Logger
    var control: Link!
    var peers: Link!
    var welcome: ServerWelcome?
    var config: TrainingConfig?
    var server: ParameterServer?
    var sharding = ServerSharding(count: 1)
    /// Workers that presented the token (ROUTER envelopes).
    var members = Set<[UInt8]>()
    /// Called once the shard holds its state (tests and the CLI print it).
    public var onReady: ((ServerWelcome) -> Void)?

    public init(settings: Settings, logger: Logger = Logger(label: "trellis.server")) {
        self.settings = settings
        self.logger = logger
    }

    /// Serves until the coordinator says the run is finished.
    public func run() throws {
        MemoryTuning.keepFreedBuffers()
        BLAS.setThreadCount(1)
        let router = try ZMQSocket(.router)
        try settings.workerSecurity.apply(to: router)
        try router.bind(settings.listen)
        let bound = try router.lastEndpoint
        let endpoint = settings.advertise ?? bound.replacingOccurrences(of: "0.0.0.0", with: "127.0.0.1")
        peers = try Link(socket: router, limits: WireLimits(), codec: .default, logger: logger)
        // Before the welcome only joins are small enough to read; after it, only members.
        peers.admit = { [unowned self] p in
            if p.kind == .join { return p.bytes <= WireLimits.joinFrameBytes ? .decode : .refuse(.error("a join is at most \(WireLimits.joinFrameBytes) bytes")) }
            return p.envelope.map(members.contains) == true ? .decode : .refuse(.error("join this server first"))
        }
        let dealer = try ZMQSocket(.dealer)
        try dealer.setReconnectInterval(milliseconds: 100, maxMilliseconds: 1000)
        try settings.coordinatorSecurity.apply(to: dealer)
        try dealer.connect(settings.coordinator)
        control = try Link(socket: dealer, limits: WireLimits(), codec: .default, logger: logger)
        defer { router.close(); dealer.close() }
        logger.info("listening for workers", metadata: ["endpoint": "\(endpoint)", "coordinator": "\(settings.coordinator)"])

        var lastJoin = -Double.infinity, lastBeat = ResourceUsage.now(), lastAnswer = ResourceUsage.now()
        while true {
            let now = ResourceUsage.now()
            if welcome == nil, now - lastJoin > 2 {
                try control.send(.serverJoin(token: settings.token, endpoint: endpoint))
                lastJoin = now
            }
            if let w = welcome, now - lastBeat > 0.5 {
                try control.send(.heartbeat(session: w.session))
                lastBeat = now
            }
            guard now - lastAnswer < settings.joinTimeoutSeconds else {
                throw WorkerError.coordinatorLost("no answer from \(settings.coordinator) for \(Int(settings.joinTimeoutSeconds)) s")
            }
            let ready = try Poller.wait(on: [dealer, router], timeoutMilliseconds: 100)
            if ready.contains(0) {
                while let (message, _) = try control.receive(timeoutMilliseconds: 0) {
                    lastAnswer = ResourceUsage.now()
                    if try fromCoordinator(message) { return }
                }
            }
            if ready.contains(1) {
                while let (message, envelope) = try peers.receive(timeoutMilliseconds: 0) { try fromWorker(message, envelope ?? []) }
            }
        }
    }

    // MARK: The coordinator

    /// Returns true when the run is over.
    func fromCoordinator(_ message: Message) throws -> Bool {
        switch message {
        case .serverWelcome(let w):
            let parsed = try TrainingConfig.parse(yaml: w.configYAML, file: "<coordinator config>")
            welcome = w
            sharding = ServerSharding(count: w.shardCount)
            logger[metadataKey: "shard"] = "\(w.shard)"
            var limits = WireLimits()
            limits.tableRows = w.tableRows
            limits.tableDimensions = w.tableDimensions
            limits.denseShapes = w.shard == 0 ? w.denseShapes : []
            limits.partitionCount = w.partitionCount
            limits.shardCount = w.shardCount
            limits.sizeFromShapes()
            peers.limits = limits
            peers.codec = w.codec
            var controlLimits = limits
            controlLimits.denseShapes = w.denseShapes
            controlLimits.sizeFromShapes()
            control.limits = controlLimits
            config = parsed
            server = nil
            logger.info("joined", metadata: ["shard": "\(w.shard) of \(w.shardCount)"])
        case .shardState(let s):
            guard let w = welcome, let config else { return false }
            try load(s, welcome: w, config: config)
            try control.send(.ack(applied: true))
            onReady?(w)
        case .stateRequest:
            guard let state = currentState() else { return false }
            try control.send(.shardState(state))
        case .ack:
            break  // a heartbeat's answer
        case .finished:
            logger.info("run finished")
            return true
        case .error(let text):
            // Refused before any welcome (wrong token, every shard taken): nothing to wait for.
            guard welcome != nil else { throw ShardError("the coordinator refused this server: \(text)") }
            // The coordinator restarted: join again and take the state it sends.
            logger.warning("re-joining", metadata: ["reason": "\(text)"])
            welcome = nil
            server = nil
        default:
            logger.warning("unexpected message from the coordinator", metadata: ["kind": "\(message.kind)"])
        }
        return false
    }

    /// Builds this shard's store and optimizers from the coordinator's slice.
    func load(_ s: ShardState, welcome w: ServerWelcome, config: TrainingConfig) throws {
        guard s.shard == w.shard else { throw ShardError("state of shard \(s.shard) sent to shard \(w.shard)") }
        let store = ParameterStore()
        for (k, name) in w.tableNames.enumerated() {
            let expected = [sharding.rowCount(w.tableRows[k], shard: w.shard), w.tableDimensions[k]]
            guard k < s.tables.count, s.tables[k].shape == expected else { throw ShardError("table \(name): expected \(expected)") }
            store.addTable(name, s.tables[k])
        }
        if w.shard == 0 {
            for (k, name) in w.denseNames.enumerated() {
                guard k < s.dense.count, s.dense[k].shape == w.denseShapes[k] else { throw ShardError("dense \(name): expected \(w.denseShapes[k])") }
                store.addDense(name, s.dense[k])
            }
        }
        let server = ParameterServer(store: store, partitionCount: w.partitionCount, training: config.training, cluster: config.cluster)
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

    func fromWorker(_ message: Message, _ envelope: [UInt8]) throws {
        if case .join(let token, let name) = message {
            guard token == settings.token else {
                logger.warning("rejected a worker: wrong cluster token", metadata: ["name": "\(name)"])
                return try peers.send(.error("wrong cluster token"), to: envelope)
            }
            members.insert(envelope)
            return try peers.send(.ack(applied: false), to: envelope)
        }
        guard members.contains(envelope) else {
            logger.warning("rejected a message from a worker that has not joined", metadata: ["kind": "\(message.kind)"])
            return try peers.send(.error("join this server first"), to: envelope)
        }
        guard let server else { return try peers.send(.error("shard not loaded yet"), to: envelope) }
        do {
            switch message {
            case .pull(_, _, let g, let ids):
                if server.mode == .sync, g != server.version { throw ShardError("pull for step \(g), this shard is at \(server.version)") }
                let rows = try ids.enumerated().map { try server.rows(table: $0, ids: try localIDs($1)) }
                try peers.send(.rows(rows: rows, dense: server.denseValues()), to: envelope)
            case .push(let session, let g, var c, _, let grant):
                guard let w = welcome, grant == w.grantKey.tag([session, UInt64(c.partition), UInt64(g)]) else {
                    throw ShardError("a push for partition \(c.partition), step \(g) without the coordinator's grant for this session")
                }
                for t in c.rows.indices {
                    c.rows[t] = RowGradient(dimension: c.rows[t].dimension, rowIDs: try localIDs(c.rows[t].rowIDs), values: c.rows[t].values)
                }
                let applied = try server.accept(c, globalStep: g)
                try peers.send(.ack(applied: applied), to: envelope)
            default:
                logger.warning("unexpected message from a worker", metadata: ["kind": "\(message.kind)"])
            }
        } catch {
            logger.warning("refused", metadata: ["kind": "\(message.kind)", "reason": "\(error)"])
            try peers.send(.error("\(error)"), to: envelope)
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
