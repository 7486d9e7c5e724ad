import Logging
import TrellisCore
import TrellisTraining

/// Parameter-server processes (`trellis server start`): admission, handing each its shard,
/// and gathering their state back before a checkpoint or an evaluation.
extension CoordinatorRole {
    struct ServerPeer {
        var session: UInt64
        var envelope: [UInt8]
        var endpoint: String
        /// It has loaded its shard.
        var ready = false
        var lastSeen: Double
    }

    var sharding: ServerSharding { ServerSharding(count: max(settings.servers, 1)) }

    /// Every shard has joined and loaded (true at once without server processes).
    var serversReady: Bool { servers.allSatisfy { $0?.ready == true } }

    func admitServer(token: String, endpoint: String, envelope: [UInt8], now: Double) {
        guard token == settings.token else {
            logger.warning("rejected a server: wrong cluster token", metadata: ["endpoint": "\(endpoint)"])
            return send(.error("wrong cluster token"), to: envelope)
        }
        let shard: Int
        if let k = servers.firstIndex(where: { $0?.envelope == envelope }) {
            shard = k  // its welcome was lost: send it again
        } else if !started, let k = servers.firstIndex(where: { $0 == nil }) {
            shard = k
            var session: UInt64 = 0
            while session == 0 { session = UInt64.random(in: 1...UInt64.max) }
            servers[k] = ServerPeer(session: session, envelope: envelope, endpoint: endpoint, lastSeen: now)
        } else {
            // After the start a new shard would hold stale rows; a lost shard means a restart with --resume.
            logger.warning("rejected a server: every shard is taken", metadata: ["endpoint": "\(endpoint)"])
            return send(.error("every parameter-server shard is taken"), to: envelope)
        }
        let store = run.server.store
        send(.serverWelcome(ServerWelcome(
            session: servers[shard]!.session, shard: shard, shardCount: settings.servers, spec: config.spec,
            partitionCount: cluster.partitions, stepsPerEpoch: run.stepsPerEpoch, tableNames: store.tables.map(\.name),
            tableRows: store.tables.map(\.rowCount), tableDimensions: store.tables.map(\.dimension), tableKinds: store.tables.map(\.kind),
            denseNames: store.dense.map(\.name), denseShapes: store.dense.map(\.value.shape), codec: settings.codec,
            grantKey: settings.grantKey)), to: envelope)
        send(.shardState(sharding.state(of: run.server, shard: shard)), to: envelope)
        logger.info("server joined", metadata: ["shard": "\(shard) of \(settings.servers)", "endpoint": "\(endpoint)"])
    }

    func handleServer(_ message: Message, shard: Int, now: Double) throws {
        servers[shard]!.lastSeen = now
        switch message {
        case .heartbeat:
            send(.ack(applied: false), to: servers[shard]!.envelope)
        case .ack:
            servers[shard]!.ready = true
            logger.info("server ready", metadata: ["shard": "\(shard)"])
        case .shardState(let s):
            guard case .gathering(let milestone, true) = pause, s.shard == shard else {
                return logger.warning("unexpected shard state", metadata: ["shard": "\(shard)"])
            }
            gathered[shard] = s
            guard gathered.count == settings.servers else { return }
            try sharding.merge(Array(gathered.values), into: run.server)
            gathered = [:]
            try proceed(milestone, now: now)
        case .error(let text):
            logger.error("server error", metadata: ["shard": "\(shard)", "reason": "\(text)"])
        default:
            logger.warning("unexpected message from a server", metadata: ["kind": "\(message.kind)", "shard": "\(shard)"])
        }
    }

    /// Asks the shards for their state once no task is out (so every shard is at the same step).
    func progressGather() {
        guard case .gathering(let milestone, false) = pause, workers.values.allSatisfy({ $0.taskSince == nil }) else { return }
        pause = .gathering(then: milestone, requested: true)
        gathered = [:]
        for s in servers.compactMap({ $0 }) { send(.stateRequest, to: s.envelope) }
    }

    /// A shard that stops answering cannot be replaced mid-run: its rows since the last gather
    /// exist nowhere else. The run stops; `--resume` continues from the last checkpoint.
    func checkServers(now: Double) throws {
        let timeout = Double(cluster.workerTimeoutMilliseconds) / 1000
        for (k, s) in servers.enumerated() {
            guard let s, now - s.lastSeen > timeout else { continue }
            throw ShardError("parameter-server shard \(k) (\(s.endpoint)) silent for \(String(format: "%.1f", now - s.lastSeen)) s; "
                + "restart the servers and the coordinator with --resume to continue from the last checkpoint")
        }
    }

    func tellServersFinished() {
        for s in servers.compactMap({ $0 }) { send(.finished, to: s.envelope) }
    }
}
